/** The handlebars parser module, which the package ships without its own type declarations. */
declare module 'handlebars/dist/cjs/handlebars/compiler/base.js' {
  export function parse(input: string, options?: { srcName?: string }): unknown;
}
