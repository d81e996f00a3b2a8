import { errorMessage } from '../../../errors.js';
import { base64Decode, base64Encode, hmacSha256Hex, sha256Hex, uuid } from '../../modules/crypto.js';
import { envGet } from '../../modules/env.js';
import { fileExists, fileRead, fileWrite, lineInFile } from '../../modules/file.js';
import { renderTemplate } from '../../modules/template.js';
import { yamlDecode, yamlEncode } from '../../modules/yaml.js';
import { LUA_TNIL, LUA_TNUMBER, LUA_TSTRING, luaTypeName, type LuaApi, type LuaStrings } from './lua-api.js';
import { isObject, type LuaValues, type ValueRefs } from './values.js';

export interface NativeContext {
  api: LuaApi;
  strings: LuaStrings;
  values: LuaValues;
  home: string;
  envAllowlist: readonly string[] | null;
  /** The running state's references; throws when no hook runs. */
  refs(): ValueRefs;
  /** Appends a line to the running hook's output. */
  log(line: string): void;
}

/**
 * The modules' JS side, as Lua C functions (`lua_CFunction`: arguments on the Lua stack, returns the
 * number of results). They run synchronously inside a run; a thrown Error becomes a Lua error at the
 * calling script line (see LuaEngine.registerNative). Functions that can fail for reasons outside the
 * script (files) return `ok, value` and the Lua side turns a failure into `nil, err`.
 */
export function createNatives(context: NativeContext): Record<string, (L: number) => number> {
  const { api, strings, values, home } = context;
  const refs = () => context.refs();
  const text = (L: number, index: number, fname: string): string => {
    const type = api._lua_type(L, index);
    if (type !== LUA_TSTRING && type !== LUA_TNUMBER) {
      throw new Error(`bad argument #${index} to '${fname}' (string expected, got ${luaTypeName(type)})`);
    }
    return strings.toString(L, index) ?? '';
  };
  const bytes = (L: number, index: number, fname: string): Uint8Array => {
    const type = api._lua_type(L, index);
    if (type !== LUA_TSTRING && type !== LUA_TNUMBER) {
      throw new Error(`bad argument #${index} to '${fname}' (string expected, got ${luaTypeName(type)})`);
    }
    return strings.toBytes(L, index) ?? new Uint8Array();
  };
  const pushResult = (L: number, attempt: () => unknown): number => {
    let value: unknown;
    try {
      value = attempt();
    } catch (error) {
      api._lua_pushboolean(L, 0);
      strings.push(L, errorMessage(error));
      return 2;
    }
    api._lua_pushboolean(L, 1);
    values.push(L, value, refs());
    return 2;
  };
  return {
    log: (L) => {
      const level = api._lua_type(L, 1) === LUA_TSTRING ? strings.toString(L, 1) : null;
      const line = strings.toString(L, 2) ?? '';
      context.log(level ? `[${level}] ${line}` : line);
      return 0;
    },
    json_encode: (L) => {
      const value = values.read(L, 1, refs());
      const pretty = api._lua_toboolean(L, 2) !== 0;
      strings.push(L, JSON.stringify(value, null, pretty ? 2 : undefined));
      return 1;
    },
    json_decode: (L) => {
      const source = text(L, 1, 'json.decode');
      let value: unknown;
      try {
        value = JSON.parse(source);
      } catch (error) {
        throw new Error(`json.decode: ${errorMessage(error)}`);
      }
      values.push(L, value, refs());
      return 1;
    },
    yaml_encode: (L) => {
      strings.push(L, yamlEncode(values.read(L, 1, refs())));
      return 1;
    },
    yaml_decode: (L) => {
      values.push(L, yamlDecode(text(L, 1, 'yaml.decode')), refs());
      return 1;
    },
    template_render: (L) => {
      const source = text(L, 1, 'template.render');
      const context = api._lua_type(L, 2) <= LUA_TNIL ? {} : values.read(L, 2, refs());
      if (!isObject(context)) throw new Error("bad argument #2 to 'template.render' (table with named fields expected)");
      strings.push(L, renderTemplate(source, context));
      return 1;
    },
    sha256: (L) => {
      strings.push(L, sha256Hex(bytes(L, 1, 'crypto.sha256')));
      return 1;
    },
    hmac_sha256: (L) => {
      strings.push(L, hmacSha256Hex(bytes(L, 1, 'crypto.hmac_sha256'), bytes(L, 2, 'crypto.hmac_sha256')));
      return 1;
    },
    base64_encode: (L) => {
      strings.push(L, base64Encode(bytes(L, 1, 'crypto.base64_encode')));
      return 1;
    },
    base64_decode: (L) => {
      strings.pushBytes(L, base64Decode(text(L, 1, 'crypto.base64_decode')));
      return 1;
    },
    uuid: (L) => {
      strings.push(L, uuid());
      return 1;
    },
    env_get: (L) => {
      const value = envGet(text(L, 1, 'env.get'), context.envAllowlist);
      if (value !== null) strings.push(L, value);
      else if (api._lua_type(L, 2) > LUA_TNIL) api._lua_pushvalue(L, 2);
      else api._lua_pushnil(L);
      return 1;
    },
    file_read: (L) => pushResult(L, () => fileRead(home, text(L, 1, 'file.read'))),
    file_write: (L) =>
      pushResult(L, () => {
        fileWrite(home, text(L, 1, 'file.write'), bytes(L, 2, 'file.write'), api._lua_toboolean(L, 3) !== 0);
        return true;
      }),
    file_exists: (L) => {
      const type = api._lua_type(L, 1);
      api._lua_pushboolean(L, type === LUA_TSTRING && fileExists(home, strings.toString(L, 1) ?? '') ? 1 : 0);
      return 1;
    },
    file_lineinfile: (L) =>
      pushResult(L, () => {
        const regexpType = api._lua_type(L, 4);
        return lineInFile(home, {
          path: text(L, 1, 'file_ops.lineinfile (path)'),
          line: text(L, 2, 'file_ops.lineinfile (line)'),
          create: api._lua_toboolean(L, 3) !== 0,
          regexp: regexpType === LUA_TSTRING ? strings.toString(L, 4) : null,
        });
      }),
  };
}
