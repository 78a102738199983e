// dynalite for tests/server/test_differential.py: in memory, on 127.0.0.1 only, a free port
// (printed on stdout once listening), tables ACTIVE at once; SIGTERM stops it.
const dynalite = require("dynalite");
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
