/** The Actions pages as one chunk, loaded the first time an Actions address is opened (actions-route.tsx). */
export { ActionPage } from './action.js';
export { ActionsPage } from './actions.js';
