/**
 * An Inputs.table `format` for a column of prose (notes, details, errors, JSON): a long text wraps
 * within `width` pixels instead of running on one line. The lab's tables size columns to their
 * content (src/style.css), so without this one long note makes every row as wide as itself.
 *
 *   Inputs.table(rows, {format: {note: proseCell({width: 320})}})
 */
export function proseCell({width}: {width: number}): (value: unknown) => string | HTMLElement {
  return (value) => {
    const text = value == null ? "" : String(value);
    // A text that fits the width anyway (about 7 px a character at the table's 13 px) stays a
    // plain string, so a column of short values is only as wide as they are.
    if (text.length * 7 <= width) return text;
    const cell = document.createElement("div");
    // A fixed width, not a maximum: a wide table must not squeeze the column to its longest
    // word. Long unbroken runs (JSON, paths) break anywhere rather than overflow it.
    cell.style.cssText = `white-space: normal; overflow-wrap: anywhere; width: ${width}px`;
    cell.textContent = text;
    return cell;
  };
}
