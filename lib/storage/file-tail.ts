// Reading what is appended to a file that other processes write line by line
// (a container's log, the events journal): whole lines only, a torn last line
// is kept for the next read, and a file that shrank is read again from the start.
import * as fs from 'node:fs';

export class FileTail {
  private carry = '';

  constructor(
    private readonly file: string,
    private offset: number,
  ) {}

  /** The complete lines appended since the last read ('' when none). */
  read(): string {
    let size = 0;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return '';
    }
    if (size < this.offset) {
      this.offset = 0;
      this.carry = '';
    }
    if (size === this.offset) return '';
    const buf = Buffer.alloc(size - this.offset);
    const fd = fs.openSync(this.file, 'r');
    try {
      fs.readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      fs.closeSync(fd);
    }
    this.offset = size;
    const text = this.carry + buf.toString('utf8');
    const nl = text.lastIndexOf('\n');
    this.carry = text.slice(nl + 1);
    return text.slice(0, nl + 1);
  }
}
