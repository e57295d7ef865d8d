/** A parameter of a path template: {id} or the greedy {rest+}. */
export interface PathParam {
  name: string;
  greedy: boolean;
}

const paramRE = /\{([^{}/]*)\}/g;

/**
 * pathParams lists the parameters of a route template ("/orders/{id}/{rest+}")
 * for the chips under the path field. It is a reading aid only: the server's
 * route.Parse is the judge, and its errors arrive through the validate route.
 */
export function pathParams(template: string): PathParam[] {
  const out: PathParam[] = [];
  for (const m of template.matchAll(paramRE)) {
    const raw = m[1] ?? '';
    const greedy = raw.endsWith('+');
    const name = greedy ? raw.slice(0, -1) : raw;
    if (name) out.push({ name, greedy });
  }
  return out;
}

/** unknownParams returns the target path's parameters the endpoint path does not define. */
export function unknownParams(endpointPath: string, targetPath: string): string[] {
  const have = new Set(pathParams(endpointPath).map((p) => p.name));
  return pathParams(targetPath)
    .map((p) => p.name)
    .filter((n) => !have.has(n));
}

/** gatewayURL is where a published endpoint answers on the local server. */
export function gatewayURL(origin: string, tenant: string, version: string, basePath: string, path: string): string {
  return `${origin}/t/${tenant}/${version}${basePath}${path}`;
}
