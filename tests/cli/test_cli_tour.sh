# The README tour (scripts/tour-cli.sh, run by `make run`) works without a terminal and exits 0.
STRATA_DEMO_DIR=./demo bash "$STRATA_SOURCE_DIR/scripts/tour-cli.sh" >tour.out 2>&1
echo "tour exit: $?" >>"$T"
cat tour.out >>"$T"
check "the tour left its database in ./demo" test -d demo
