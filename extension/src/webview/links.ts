/**
 * Which links in model-written report markdown stay links. A report quotes a model's answer, and
 * a model can be steered by the code it read: a `vscode://` link installs or drives an extension,
 * `command:` runs a command, `file:` opens a local file. Only http and https are rendered as
 * links; markdown-it renders anything else as the plain text it was written as.
 */
export function isWebLink(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false; // relative or malformed: not a link we can vouch for
  }
}
