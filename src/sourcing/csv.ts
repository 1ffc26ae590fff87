/** RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes, optional UTF-8 BOM. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ''));
}

export function toCsv(rows: (string | number)[][]): string {
  const cell = (v: string | number) => {
    // A text that a spreadsheet would run as a formula (=HYPERLINK(…), +cmd, @SUM …) is exported with a leading
    // apostrophe, which shows it as text; plain numbers (also negative ones) stay numbers. (OWASP CSV injection.)
    const t = formulaSafe(String(v));
    return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  // A BOM so that Excel opens Chinese text as UTF-8.
  return '\uFEFF' + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

const FORMULA_START = /^[=+\-@\t\r]/;
export function formulaSafe(t: string): string {
  return FORMULA_START.test(t) && !/^-?\d+(\.\d+)?$/.test(t) ? `'${t}` : t;
}

/** The inverse on import: an apostrophe that formulaSafe put before a formula-like text goes again. */
export function unFormulaSafe(t: string): string {
  return t.startsWith("'") && FORMULA_START.test(t.slice(1)) ? t.slice(1) : t;
}
