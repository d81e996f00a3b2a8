import { registerRuntime } from '../../engine.js';
import { CommandsRuntime } from './commands.js';
import { JsRuntime } from './js/index.js';
import { LuaRuntime } from './lua/index.js';

registerRuntime('lua', (options) => new LuaRuntime({ home: options.home, envAllowlist: options.envAllowlist ?? null }));
registerRuntime('js', () => new JsRuntime({}));
registerRuntime('commands', (options) => new CommandsRuntime({ home: options.home }));
