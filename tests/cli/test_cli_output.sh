# Output format: compact when stdout is not a terminal, --pretty / --compact force it.
run init
run put users u1 '{"name":"Ada","langs":["en","fr"],"empty":{},"none":[],"q":"a \"quoted\" {x}, [y]: z"}'
run get users u1
run get users u1 --pretty
run --pretty get users
run --pretty --compact get users
run entries --pretty
run --pretty put users u2 1
