/** The Workflows pages as one chunk, loaded the first time a Workflows address is opened (workflows-route.tsx). */
export { WorkflowPage } from './workflow.js';
export { WorkflowsPage } from './workflows.js';
