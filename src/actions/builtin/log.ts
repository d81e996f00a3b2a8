import { defineAction } from '../model.js';

const LEVELS = ['debug', 'info', 'warning', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** Writes a message to the run's log: the hook execution's output or the pipeline step's log. */
export const logAction = defineAction({
  meta: {
    type: 'log',
    version: '1.0.0',
    name: 'Log',
    description: "Writes a message to the run's log (a hook execution's output, a pipeline step's log) at a level.",
    category: 'Control Flow',
    icon: 'file-text',
    color: '#64748b',
    executionMode: 'sync',
    idempotent: true,
    params: [
      { name: 'message', label: 'Message', type: 'template', required: true, description: 'The message to log (a Jinja2 template).', placeholder: 'Starting with {{ params.message }}' },
      {
        name: 'level',
        label: 'Level',
        type: 'select',
        default: 'info',
        description: 'How important the message is.',
        options: [
          { label: 'Debug', value: 'debug' },
          { label: 'Info', value: 'info' },
          { label: 'Warning', value: 'warning' },
          { label: 'Error', value: 'error' },
        ],
      },
    ],
    outputs: [
      { name: 'logged', type: 'boolean', description: 'Always true once the message is written' },
      { name: 'message', type: 'string', description: 'The message as logged' },
      { name: 'level', type: 'string', description: 'The level it was logged at' },
    ],
    examples: [{ title: 'Log a start message', params: { message: 'Starting workflow with message: {{ params.message }}', level: 'info' } }],
  },
  execute(ctx) {
    const message = String(ctx.params.message);
    const level = (LEVELS as readonly string[]).includes(String(ctx.params.level)) ? (ctx.params.level as Level) : 'info';
    const write = { debug: ctx.log.debug, info: ctx.log.info, warning: ctx.log.warn, error: ctx.log.error }[level];
    write(message);
    return { success: true, outputs: { logged: true, message, level } };
  },
});
