/** The Programs pages as one chunk, loaded the first time a Programs address is opened (programs-route.tsx). */
export { ProgramExecutionPage } from './program-execution.js';
export { ProgramsPage } from './programs.js';
