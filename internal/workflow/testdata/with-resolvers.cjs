// Promise.withResolvers (Node 22) for Node 20: aws-local-stepfunctions 3.x
// needs it, and without it Task states fail silently into Catch.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
