export { JsRuntime, type JsRuntimeOptions } from './runtime.js';
