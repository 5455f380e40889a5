/**
 * The `rel="next"` target of an RFC 8288 `Link` header, as registries paginate tag and catalog lists:
 * `</v2/x/tags/list?last=b&n=2>; rel="next"`. Relative targets resolve against the page's URL.
 */
export function nextPageUrl(header: string | readonly string[] | undefined, pageUrl: URL): URL | undefined {
  const values = header === undefined ? [] : typeof header === 'string' ? [header] : header;
  for (const value of values) {
    for (const match of value.matchAll(/<([^>]*)>([^<]*)/g)) {
      const relation = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2]);
      const relations = (relation?.[1] ?? relation?.[2] ?? '').toLowerCase().split(/\s+/);
      if (relations.includes('next')) return new URL(match[1], pageUrl);
    }
  }
  return undefined;
}
