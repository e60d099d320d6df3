// Go's text/tabwriter, cell for cell, configured as Podman configures it
// for its tables (containers/common pkg/report: NewWriterDefault and
// Formatter.Parse use tabwriter.NewWriter(out, 12, 2, 2, ' ', flags)).
//
// Text is split into cells by tabs; a column block is a run of adjacent
// lines that have a cell in that column, and every cell of the block is
// padded to the widest one plus `padding`, never narrower than `minwidth`.
// The text after the last tab of a line is not part of any column and is
// not padded. A line without a tab ends all blocks. Cell widths count
// Unicode code points, as Go counts runes.

/** Ignore html tags and treat entities as one character (not implemented: accepted and ignored). */
export const FILTER_HTML = 1 << 0;
/** Strip escape characters bracketing escaped text segments (no-op: Go's 0xff escape byte never occurs in JS text). */
export const STRIP_ESCAPE = 1 << 1;
/** Force right-alignment of cell content. */
export const ALIGN_RIGHT = 1 << 2;
/** Handle empty columns as if they were not present in the input in the first place. */
export const DISCARD_EMPTY_COLUMNS = 1 << 3;
/** Always use tabs for indentation columns (i.e., padding of leading empty cells on the left). */
export const TAB_INDENT = 1 << 4;
/** Print a vertical bar ('|') between columns (after formatting). */
export const DEBUG = 1 << 5;

interface Cell {
  text: string;
  width: number; // in code points
  htab: boolean; // true if the cell is terminated by an htab ('\t')
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // count a surrogate pair once
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * A port of Go's tabwriter.Writer. write() buffers text (it may contain
 * several lines and partial lines); output becomes available as lines are
 * completed and is all returned by flush(), which also terminates a final
 * partial line like Go's Flush.
 */
export class TabWriter {
  private lines: Cell[][] = [];
  private cell = '';
  private widths: number[] = [];
  private out: string[] = [];
  private readonly padbytes: string;

  constructor(
    readonly minwidth: number,
    readonly tabwidth: number,
    readonly padding: number,
    readonly padchar: string,
    readonly flags: number = 0,
  ) {
    if (minwidth < 0 || tabwidth < 0 || padding < 0) throw new Error('negative minwidth, tabwidth, or padding');
    if (padchar.length !== 1) throw new Error('padchar must be one character');
    this.padbytes = padchar;
    if (padchar === '\t') {
      // tab padding enforces left-alignment
      this.flags &= ~ALIGN_RIGHT;
    }
    this.reset();
  }

  private reset(): void {
    this.cell = '';
    this.lines = [];
    this.widths = [];
    this.addLine();
  }

  private addLine(): void {
    this.lines.push([]);
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1];
    line.push({ text: this.cell, width: runeCount(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  /** Feed text; returns this for chaining. */
  write(text: string): this {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\t' || ch === '\v' || ch === '\n' || ch === '\f') {
        this.cell += text.slice(n, i);
        n = i + 1;
        const ncells = this.terminateCell(ch === '\t');
        if (ch === '\n' || ch === '\f') {
          this.addLine();
          if (ch === '\f' || ncells === 1) {
            // A line with one cell does not affect the formatting of the
            // following lines: everything buffered can be written out.
            this.flushInternal();
            if (ch === '\f' && this.flags & DEBUG) this.out.push('---\n');
          }
        }
      }
    }
    this.cell += text.slice(n);
    return this;
  }

  /** Terminate any partial line, format everything buffered and return all output produced so far. */
  flush(): string {
    this.flushInternal();
    const s = this.out.join('');
    this.out = [];
    return s;
  }

  private flushInternal(): void {
    if (this.cell.length > 0) {
      // "Any incomplete escape sequence at the end is considered complete"
      this.terminateCell(false);
    }
    this.format(0, this.lines.length);
    this.reset();
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.padbytes === '\t' || useTabs) {
      if (this.tabwidth === 0) return; // tabs have no width - can't do any padding
      cellw = Math.floor((cellw + this.tabwidth - 1) / this.tabwidth) * this.tabwidth;
      const n = cellw - textw;
      if (n < 0) throw new Error('internal error');
      this.out.push('\t'.repeat(Math.floor((n + this.tabwidth - 1) / this.tabwidth)));
      return;
    }
    if (cellw > textw) this.out.push(this.padbytes.repeat(cellw - textw));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i];
      let useTabs = (this.flags & TAB_INDENT) !== 0;
      for (let j = 0; j < line.length; j++) {
        const c = line[j];
        if (j > 0 && this.flags & DEBUG) this.out.push('|');
        if (c.text.length === 0) {
          // empty cell
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], useTabs);
        } else {
          useTabs = false;
          if ((this.flags & ALIGN_RIGHT) === 0) {
            this.out.push(c.text);
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false);
          } else {
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false);
            this.out.push(c.text);
          }
        }
      }
      if (i + 1 === this.lines.length) {
        // last buffered line: it has no newline (its text, if any, was
        // written as its last cell)
      } else {
        this.out.push('\n');
      }
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      let line = this.lines[cur];
      if (column >= line.length - 1) continue;
      // cell exists in this column => this line has more cells than the
      // previous line (the last cell per line is not in a column)

      // print unprinted lines until beginning of block
      this.writeLines(line0, cur);
      line0 = cur;

      // column block begin
      let width = this.minwidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        line = this.lines[cur];
        if (column >= line.length - 1) break;
        const c = line[column];
        const w = c.width + this.padding;
        if (w > width) width = w;
        if (c.width > 0 || c.htab) discardable = false;
      }
      // column block end

      if (discardable && this.flags & DISCARD_EMPTY_COLUMNS) width = 0;

      // format and print all columns to the right of this column
      this.widths.push(width);
      this.format(line0, cur);
      this.widths.pop();
      line0 = cur;
      // (like Go, the loop increment skips the line that ended the block: it has no cell in this column)
    }
    this.writeLines(line0, line1);
  }
}

/** Podman's table writer: tabwriter.NewWriter(out, 12, 2, 2, ' ', 0). */
export function newPodmanTabWriter(flags = 0): TabWriter {
  return new TabWriter(12, 2, 2, ' ', flags);
}

/** Align tab-separated text exactly as Podman's report writer would. */
export function alignTabs(text: string): string {
  return newPodmanTabWriter().write(text).flush();
}

/**
 * Rows of cells, aligned as Podman aligns `ps`/`images` tables. Every row is
 * written as its cells joined by tabs plus a newline, so the last cell of a
 * row is not padded.
 */
export function formatTable(rows: string[][]): string {
  const w = newPodmanTabWriter();
  for (const row of rows) w.write(row.join('\t') + '\n');
  return w.flush();
}
