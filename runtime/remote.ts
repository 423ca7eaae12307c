// Whether a script's "file" is a URL (deno run https://…, tsbpf run URL). Apart from download.ts
// so that every start can ask without loading the downloader.
export function isRemote(file: string): boolean {
  return /^https?:\/\//i.test(file);
}
