import { LuaFactory } from 'wasmoon';

/**
 * The raw Lua 5.4 C API of wasmoon's WebAssembly build, called directly. wasmoon's own wrappers
 * (`LuaEngine`, `ccall`) convert every argument generically and build one state per engine with
 * its own type machinery; hookflow needs many small states sharing one WebAssembly instance, its
 * own allocator (memory limits) and its own count hook (time limits), so it talks to the C API.
 * Pointers and `lua_State *` are plain numbers (wasm32); `lua_Integer` is a BigInt (i64).
 */
export interface LuaApi {
  readonly HEAPU8: Uint8Array;
  readonly HEAP32: Int32Array;
  readonly HEAPU32: Uint32Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _realloc(pointer: number, size: number): number;
  addFunction(fn: (...args: number[]) => number | void, signature: string): number;
  removeFunction(pointer: number): void;

  _lua_newstate(alloc: number, ud: number): number;
  _lua_close(L: number): void;
  _luaL_openlibs(L: number): void;
  _lua_newthread(L: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, index: number): void;
  _lua_pushvalue(L: number, index: number): void;
  _lua_absindex(L: number, index: number): number;
  _lua_checkstack(L: number, n: number): number;
  _lua_type(L: number, index: number): number;
  _lua_toboolean(L: number, index: number): number;
  _lua_tonumberx(L: number, index: number, isnum: number): number;
  _lua_tointegerx(L: number, index: number, isnum: number): bigint;
  _lua_isinteger(L: number, index: number): number;
  _lua_tolstring(L: number, index: number, len: number): number;
  _lua_rawequal(L: number, a: number, b: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushlstring(L: number, s: number, len: number): number;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_rawget(L: number, index: number): number;
  _lua_rawgeti(L: number, index: number, n: bigint): number;
  _lua_rawset(L: number, index: number): void;
  _lua_rawseti(L: number, index: number, n: bigint): void;
  _lua_getmetatable(L: number, index: number): number;
  _lua_setmetatable(L: number, index: number): number;
  _lua_next(L: number, index: number): number;
  _lua_concat(L: number, n: number): void;
  _luaL_loadbufferx(L: number, buffer: number, size: number, name: number, mode: number): number;
  _lua_pcallk(L: number, nargs: number, nresults: number, errfunc: number, ctx: number, k: number): number;
  _lua_resume(L: number, from: number, nargs: number, nresults: number): number;
  _lua_yieldk(L: number, nresults: number, ctx: number, k: number): number;
  _lua_isyieldable(L: number): number;
  _lua_error(L: number): number;
  _luaL_where(L: number, level: number): void;
  _luaL_ref(L: number, table: number): number;
  _luaL_unref(L: number, table: number, ref: number): void;
  _lua_sethook(L: number, fn: number, mask: number, count: number): void;
}

export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_ERRRUN = 2;
export const LUA_ERRSYNTAX = 3;
export const LUA_ERRMEM = 4;

export const LUA_TNONE = -1;
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_TFUNCTION = 6;

export const LUA_REGISTRYINDEX = -1_000_000 - 1000;
export const LUA_MASKCOUNT = 8;
export const LUA_MULTRET = -1;

const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

export function luaTypeName(type: number): string {
  return TYPE_NAMES[type] ?? 'no value';
}

/** Loads the WebAssembly build once per thread; every Lua state of the thread lives in it. */
export async function loadLuaApi(): Promise<LuaApi> {
  const wasm = await new LuaFactory().getLuaModule();
  return wasm.module as unknown as LuaApi;
}

/**
 * String traffic between JS and Lua, through one scratch buffer in wasm memory. Lua strings are
 * byte strings: `toBytes` keeps them exact (crypto, base64), `toString` decodes UTF-8.
 * Heap views are read afresh on every call because the wasm memory may have grown meanwhile.
 */
export class LuaStrings {
  private scratch: number;
  private scratchSize = 4096;
  private readonly lengthSlot: number;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private readonly names = new Map<string, number>();

  constructor(private readonly api: LuaApi) {
    this.scratch = api._malloc(this.scratchSize);
    this.lengthSlot = api._malloc(4);
  }

  push(L: number, value: string): void {
    const api = this.api;
    const length = value.length;
    if (length <= 256) {
      // Most strings are short ASCII (names, ids, types): copy them without an encoder call.
      const heap = api.HEAPU8;
      const at = this.scratch;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        heap[at + i] = code;
      }
      if (i === length) {
        api._lua_pushlstring(L, at, length);
        return;
      }
    }
    this.reserve(length * 3);
    const { written } = this.encoder.encodeInto(value, api.HEAPU8.subarray(this.scratch, this.scratch + this.scratchSize));
    api._lua_pushlstring(L, this.scratch, written);
  }

  pushBytes(L: number, bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.api.HEAPU8.set(bytes, this.scratch);
    this.api._lua_pushlstring(L, this.scratch, bytes.length);
  }

  /** The string at `index`, or null when the value there is neither a string nor a number. */
  toString(L: number, index: number): string | null {
    const pointer = this.api._lua_tolstring(L, index, this.lengthSlot);
    if (!pointer) return null;
    const length = this.api.HEAPU32[this.lengthSlot >> 2];
    return this.decoder.decode(this.api.HEAPU8.subarray(pointer, pointer + length));
  }

  toBytes(L: number, index: number): Uint8Array | null {
    const pointer = this.api._lua_tolstring(L, index, this.lengthSlot);
    if (!pointer) return null;
    const length = this.api.HEAPU32[this.lengthSlot >> 2];
    return this.api.HEAPU8.slice(pointer, pointer + length);
  }

  /** A NUL-terminated copy of a constant, kept for the life of the thread. */
  cString(value: string): number {
    const known = this.names.get(value);
    if (known !== undefined) return known;
    const bytes = this.encoder.encode(`${value}\0`);
    const pointer = this.api._malloc(bytes.length);
    this.api.HEAPU8.set(bytes, pointer);
    this.names.set(value, pointer);
    return pointer;
  }

  /** Loads `source` as a text chunk onto the stack; returns the Lua status. */
  load(L: number, source: string, chunkName: string): number {
    return this.loadChunk(L, this.encoder.encode(source), chunkName, 't');
  }

  /** Loads precompiled bytecode (only ever hookflow's own, never a script's). */
  loadBinary(L: number, bytecode: Uint8Array, chunkName: string): number {
    return this.loadChunk(L, bytecode, chunkName, 'b');
  }

  private loadChunk(L: number, bytes: Uint8Array, chunkName: string, mode: 't' | 'b'): number {
    const name = this.encoder.encode(`${chunkName}\0`);
    const pointer = this.api._malloc(name.length + bytes.length + 1);
    try {
      this.api.HEAPU8.set(name, pointer);
      this.api.HEAPU8.set(bytes, pointer + name.length);
      return this.api._luaL_loadbufferx(L, pointer + name.length, bytes.length, pointer, this.cString(mode));
    } finally {
      this.api._free(pointer);
    }
  }

  private reserve(size: number): void {
    if (size <= this.scratchSize) return;
    this.api._free(this.scratch);
    this.scratchSize = Math.max(size, this.scratchSize * 2);
    this.scratch = this.api._malloc(this.scratchSize);
  }
}
