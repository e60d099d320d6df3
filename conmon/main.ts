// tspod-conmon: the monitor of one container (container-monitor.ts), or, with
// --exec-terminal, of one exec session that has a terminal (exec-terminal.ts).
// Each is loaded only when needed.
if (process.argv[2] === '--exec-terminal') require('./exec-terminal');
else if (process.argv[2] === '--listen') require('./listen-monitor'); // a --listen container's sockets while it is scaled to zero
else require('./container-monitor');
