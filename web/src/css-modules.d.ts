/** A CSS module (`*.module.css`, bundled by Vite): its class names, made unique per file. */
declare module '*.module.css' {
  const classes: Record<string, string>
  export default classes
}
