import { defineAction } from '../model.js';

/** Always fails: for testing error handling, or stopping a run on purpose. */
export const failAction = defineAction({
  meta: {
    type: 'fail',
    version: '1.0.0',
    name: 'Fail',
    description: 'Always fails with the given message and error code: to test error handling, or to stop a run on purpose (behind a condition).',
    category: 'Control Flow',
    icon: 'x-circle',
    color: '#ef4444',
    executionMode: 'sync',
    idempotent: true,
    params: [
      { name: 'message', label: 'Error message', type: 'template', default: 'Intentional failure', description: 'The error the step fails with.', placeholder: 'Something went wrong' },
      { name: 'error_code', label: 'Error code', type: 'string', default: 'INTENTIONAL_FAILURE', description: 'A code for programs to match on.', placeholder: 'ERROR_CODE' },
    ],
    outputs: [
      { name: 'error_code', type: 'string', description: 'The error code' },
      { name: 'message', type: 'string', description: 'The error message' },
    ],
    examples: [
      { title: 'Simple failure', params: { message: 'This step should not be reached' } },
      {
        title: 'Failure with a code',
        params: { message: "Validation failed: {{ steps.validate.outputs.errors | join(', ') }}", error_code: 'VALIDATION_ERROR' },
        description: 'Fails with a message built from an earlier step',
      },
    ],
  },
  execute(ctx) {
    const message = String(ctx.params.message);
    const errorCode = String(ctx.params.error_code);
    ctx.log.warn(`failing on purpose: ${message}`, { error_code: errorCode });
    return { success: false, error: message, outputs: { error_code: errorCode, message } };
  },
});
