// What exec's terminal helper (tspod-conmon --exec-terminal) is told.

export interface ExecTerminalConfig {
  /** runc exec argv up to (not including) the container id: the helper adds -d, --tty, --console-socket, --pid-file */
  runtimeArgs: string[];
  /** the container id and the command */
  tail: string[];
  rows?: number;
  cols?: number;
}

/** The fd of the helper on which resize lines (`1 ROWS COLS`) arrive. */
export const EXEC_CTL_FD = 3;
