// tspod-conmon: the monitor of one container (container-monitor.ts), or, with
// --exec-terminal, of one exec session that has a terminal (exec-terminal.ts).
// Each is loaded only when needed.
if (process.argv[2] === '--exec-terminal') require('./exec-terminal');
else require('./container-monitor');
