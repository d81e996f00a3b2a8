import type { JsonValue } from '../../../events/model.js';
import {
  LUA_REGISTRYINDEX,
  LUA_TBOOLEAN,
  LUA_TNIL,
  LUA_TNONE,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  luaTypeName,
  type LuaApi,
  type LuaStrings,
} from './lua-api.js';

/** Registry references a state keeps for conversions: the array marker and the `json.null` sentinel. */
export interface ValueRefs {
  arrayMeta: number;
  jsonNull: number;
}

const MAX_DEPTH = 100;

export function isObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON-shaped values between JS and Lua, through the raw stack API (no metamethods run, so a
 * conversion never executes script code). Arrays pushed from JS carry a marker metatable so an
 * empty list still encodes as `[]`; tables without the marker are arrays when their keys are
 * 1..n (holes become null when at most half are missing), objects otherwise, `{}` when empty.
 */
export class LuaValues {
  constructor(
    private readonly api: LuaApi,
    private readonly strings: LuaStrings,
  ) {}

  push(L: number, value: unknown, refs: ValueRefs, depth = 0): void {
    const api = this.api;
    if (value === null || value === undefined) {
      api._lua_pushnil(L);
    } else if (typeof value === 'string') {
      this.strings.push(L, value);
    } else if (typeof value === 'number') {
      if (Number.isSafeInteger(value)) api._lua_pushinteger(L, BigInt(value));
      else api._lua_pushnumber(L, value);
    } else if (typeof value === 'boolean') {
      api._lua_pushboolean(L, value ? 1 : 0);
    } else if (typeof value === 'object') {
      if (depth > MAX_DEPTH) throw new Error(`value nested deeper than ${MAX_DEPTH} levels`);
      api._lua_checkstack(L, 4);
      if (Array.isArray(value)) {
        api._lua_createtable(L, value.length, 0);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === null || item === undefined) continue;
          this.push(L, item, refs, depth + 1);
          api._lua_rawseti(L, -2, BigInt(i + 1));
        }
        api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(refs.arrayMeta));
        api._lua_setmetatable(L, -2);
      } else {
        const object = value as Record<string, unknown>;
        api._lua_createtable(L, 0, 4);
        for (const key in object) {
          const item = object[key];
          if (item === null || item === undefined || !Object.hasOwn(object, key)) continue;
          this.strings.push(L, key);
          this.push(L, item, refs, depth + 1);
          api._lua_rawset(L, -3);
        }
      }
    } else {
      this.strings.push(L, String(value));
    }
  }

  /** The value at `index` as JSON; throws (a JS Error) for functions, userdata, odd keys, cycles. */
  read(L: number, index: number, refs: ValueRefs, depth = 0): JsonValue {
    const api = this.api;
    const at = api._lua_absindex(L, index);
    const type = api._lua_type(L, at);
    switch (type) {
      case LUA_TNONE:
      case LUA_TNIL:
        return null;
      case LUA_TBOOLEAN:
        return api._lua_toboolean(L, at) !== 0;
      case LUA_TNUMBER: {
        if (api._lua_isinteger(L, at)) return Number(api._lua_tointegerx(L, at, 0));
        const n = api._lua_tonumberx(L, at, 0);
        return Number.isFinite(n) ? n : null;
      }
      case LUA_TSTRING:
        return this.strings.toString(L, at) ?? '';
      case LUA_TTABLE:
        return this.readTable(L, at, refs, depth);
      default:
        throw new Error(`cannot convert a ${luaTypeName(type)} value to JSON`);
    }
  }

  private readTable(L: number, at: number, refs: ValueRefs, depth: number): JsonValue {
    const api = this.api;
    if (depth > MAX_DEPTH) throw new Error(`table nested deeper than ${MAX_DEPTH} levels (or a cycle)`);
    api._lua_checkstack(L, 4);
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(refs.jsonNull));
    const isNull = api._lua_rawequal(L, -1, at) !== 0;
    api._lua_settop(L, -2);
    if (isNull) return null;
    let marked = false;
    if (api._lua_getmetatable(L, at)) {
      api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(refs.arrayMeta));
      marked = api._lua_rawequal(L, -1, -2) !== 0;
      api._lua_settop(L, -3);
    }
    const indexed: Array<[number, JsonValue]> = [];
    const named: Array<[string, JsonValue]> = [];
    let maxIndex = 0;
    api._lua_pushnil(L);
    while (api._lua_next(L, at)) {
      const keyType = api._lua_type(L, -2);
      const item = this.read(L, -1, refs, depth + 1);
      if (keyType === LUA_TNUMBER && api._lua_isinteger(L, -2)) {
        const key = Number(api._lua_tointegerx(L, -2, 0));
        if (key >= 1) {
          indexed.push([key, item]);
          if (key > maxIndex) maxIndex = key;
        } else {
          named.push([String(key), item]);
        }
      } else if (keyType === LUA_TNUMBER) {
        named.push([String(api._lua_tonumberx(L, -2, 0)), item]);
      } else if (keyType === LUA_TSTRING) {
        // A copy: lua_tolstring on the key itself is safe for strings (no in-place conversion).
        named.push([this.strings.toString(L, -2) ?? '', item]);
      } else {
        api._lua_settop(L, -3);
        throw new Error(`cannot convert a table with ${luaTypeName(keyType)} keys to JSON`);
      }
      api._lua_settop(L, -2);
    }
    const isArray = named.length === 0 && (marked || (indexed.length > 0 && maxIndex <= indexed.length * 2));
    if (isArray) {
      const list: JsonValue[] = new Array<JsonValue>(maxIndex).fill(null);
      for (const [key, item] of indexed) list[key - 1] = item;
      return list;
    }
    const object: { [key: string]: JsonValue } = {};
    for (const [key, item] of indexed) named.push([String(key), item]);
    named.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [key, item] of named) object[key] = item;
    return object;
  }
}
