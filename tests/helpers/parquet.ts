// A minimal parquet writer for tests (no parquet writer is installed): one row group, required
// UTF-8 string columns, one uncompressed PLAIN data page each, and the footer in Thrift's compact
// protocol, as the parquet-format spec lays them out.

class Compact {
  readonly bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint | number) {
    let v = BigInt(n);
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }
  zigzag(n: number) {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }
  field(id: number, type: number) {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number) { this.field(id, 5); this.zigzag(v); }
  i64(id: number, v: number) { this.field(id, 6); this.zigzag(v); }
  str(id: number, s: string) { this.field(id, 8); this.binary(s); }
  binary(s: string) {
    const b = new TextEncoder().encode(s);
    this.varint(b.length);
    this.bytes.push(...b);
  }
  struct(id: number | null, body: () => void) {
    if (id !== null) this.field(id, 12);
    this.last.push(0);
    body();
    this.bytes.push(0);
    this.last.pop();
  }
  list(id: number, elemType: number, items: Array<() => void>) {
    this.field(id, 9);
    if (items.length < 15) this.bytes.push((items.length << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(items.length);
    }
    for (const it of items) it();
  }
}

/** A parquet file of string columns (all the same length). */
export function parquetBytes(columns: Record<string, string[]>): Uint8Array {
  const names = Object.keys(columns);
  const rows = columns[names[0]].length;
  const out: number[] = [...new TextEncoder().encode('PAR1')];
  const chunks: Array<{ name: string; offset: number; size: number }> = [];
  for (const name of names) {
    const data: number[] = [];
    for (const v of columns[name]) {
      const b = new TextEncoder().encode(v);
      data.push(b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
    }
    const h = new Compact();
    h.struct(null, () => {
      h.i32(1, 0); // DATA_PAGE
      h.i32(2, data.length);
      h.i32(3, data.length);
      h.struct(5, () => {
        h.i32(1, rows);
        h.i32(2, 0); // PLAIN
        h.i32(3, 3); // RLE
        h.i32(4, 3);
      });
    });
    chunks.push({ name, offset: out.length, size: h.bytes.length + data.length });
    out.push(...h.bytes, ...data);
  }
  const m = new Compact();
  m.struct(null, () => {
    m.i32(1, 1);
    m.list(2, 12, [
      () => m.struct(null, () => { m.str(4, 'schema'); m.i32(5, names.length); }),
      ...names.map((n) => () => m.struct(null, () => { m.i32(1, 6); m.i32(3, 0); m.str(4, n); m.i32(6, 0); })),
    ]);
    m.i64(3, rows);
    m.list(4, 12, [
      () => m.struct(null, () => {
        m.list(1, 12, chunks.map((c) => () => m.struct(null, () => {
          m.i64(2, c.offset);
          m.struct(3, () => {
            m.i32(1, 6);
            m.list(2, 5, [() => m.zigzag(0), () => m.zigzag(3)]);
            m.list(3, 8, [() => m.binary(c.name)]);
            m.i32(4, 0);
            m.i64(5, rows);
            m.i64(6, c.size);
            m.i64(7, c.size);
            m.i64(9, c.offset);
          });
        })));
        m.i64(2, chunks.reduce((a, c) => a + c.size, 0));
        m.i64(3, rows);
      }),
    ]);
  });
  const len = m.bytes.length;
  out.push(...m.bytes, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >>> 24, ...new TextEncoder().encode('PAR1'));
  return Uint8Array.from(out);
}
