// Text put into a regular expression as it is: member specs, URLs and paths carry `.`,
// `/`, `?` and brackets that would otherwise be read as patterns.

/** A pattern that matches `text` literally. */
export function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
