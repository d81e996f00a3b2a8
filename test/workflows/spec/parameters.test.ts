import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HookflowError } from '../../../src/errors.js';
import {
  expandParameters,
  formatParameterValue,
  parseParameterValue,
  substituteParameters,
  type ParameterValue,
} from '../../../src/workflows/spec/parameters.js';

const int = (value: number): ParameterValue => ({ type: 'int', value });
const float = (value: number): ParameterValue => ({ type: 'float', value });
const str = (value: string): ParameterValue => ({ type: 'string', value });

function assertInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HookflowError);
    assert.equal(error.code, 'HF_ERR_INVALID_WORKFLOW');
    assert.match(error.message, message);
    return true;
  });
}

describe('parseParameterValue', () => {
  const cases: Array<[string, unknown, ParameterValue[]]> = [
    ['inclusive integer range', '1:5', [1, 2, 3, 4, 5].map(int)],
    ['range with step', '0:10:5', [0, 5, 10].map(int)],
    ['range whose step overshoots the end', '1:10:4', [1, 5, 9].map(int)],
    ['negative step counts down', '10:1:-3', [10, 7, 4, 1].map(int)],
    ['negative step not reaching the end', '10:0:-4', [10, 6, 2].map(int)],
    ['start after end with a positive step is empty', '5:1', []],
    ['single-value range', '3:3', [int(3)]],
    ['float range with end tolerance', '0.0:1.0:0.5', [0, 0.5, 1].map(float)],
    ['float range reaches its end despite rounding', '0.0:0.3:0.1', [0, 0.1, 0.2, 0.30000000000000004].map(float)],
    ['float ends with default step', '1.5:3.5', [1.5, 2.5, 3.5].map(float)],
    ['integer ends with a float step are not an int range', '0.0:2:1', [0, 1, 2].map(float)],
    ['spaces trimmed', '  1 : 3  ', [1, 2, 3].map(int)],
    ['braces without comma stripped', '{1:3}', [1, 2, 3].map(int)],
    ['braces around a one-item list stripped', '{[7]}', [int(7)]],
    ['braces around a list with a comma kept', '{[1,2]}', [str('{[1,2]}')]],
    ['int list', '[1,2,3]', [1, 2, 3].map(int)],
    ['float list', '[0.0001,0.001,0.01]', [0.0001, 0.001, 0.01].map(float)],
    ['string list with quotes trimmed', "['adam','sgd']", [str('adam'), str('sgd')]],
    ['double quotes and spaces', '[ "a" , "b c" ]', [str('a'), str('b c')]],
    ['mixed list', "[1, 2.5, x, '3']", [int(1), float(2.5), str('x'), str('3')]],
    ['comma inside quotes', "['a,b', c]", [str('a,b'), str('c')]],
    ['empty list gives nothing', '[]', []],
    ['empty list with spaces', '[  ]', []],
    ['single int', '42', [int(42)]],
    ['negative int', '-7', [int(-7)]],
    ['single float', '2.5', [float(2.5)]],
    ['exponent float', '1e-3', [float(0.001)]],
    ['single string', 'hello', [str('hello')]],
    ['quoted single string', "'hello'", [str('hello')]],
    ['braces with a comma kept', '{a,b}', [str('{a,b}')]],
    ['YAML number', 5, [int(5)]],
    ['YAML list', ['a', 2], [str('a'), int(2)]],
  ];
  for (const [label, input, expected] of cases) {
    it(label, () => assert.deepEqual(parseParameterValue(input), expected));
  }

  const errors: Array<[string, unknown, RegExp]> = [
    ['step 0', '1:10:0', /step 0/],
    ['float step 0', '0.0:1.0:0.0', /step 0/],
    ['more than three parts', '1:2:3:4', /4 parts/],
    ['non-numeric range', 'a:b', /not numeric/],
    ['integer ends with a fractional step', '1:10:0.5', /fractional step/],
    ['object value', { a: 1 }, /must be a string/],
    ['empty list item', '[1,,2]', /empty item/],
  ];
  for (const [label, input, message] of errors) {
    it(`rejects ${label}`, () => assertInvalid(() => parseParameterValue(input, 'jobs[0].parameters.i'), message));
  }

  it('names the parameter in the error', () => {
    assert.throws(() => parseParameterValue('1:2:0', 'jobs[3].parameters.i'), (error: unknown) => {
      assert.ok(error instanceof HookflowError);
      assert.equal(error.details.where, 'jobs[3].parameters.i');
      assert.ok(error.details.hint);
      return true;
    });
  });
});

function rows(combinations: ReturnType<typeof expandParameters>): Array<Record<string, unknown>> {
  return combinations.map((combination) => Object.fromEntries([...combination].map(([name, value]) => [name, value.value])));
}

describe('expandParameters', () => {
  it('product: parameters in written order, last varying fastest', () => {
    assert.deepEqual(rows(expandParameters({ a: '[1,2]', b: "['x','y','z']" })), [
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' },
      { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
  });
  it('product order follows the written order, not the alphabet', () => {
    assert.deepEqual(rows(expandParameters({ z: '[1,2]', a: '[3,4]' })).map((row) => `${row.z}${row.a}`), ['13', '14', '23', '24']);
  });
  it('product size is the product of sizes', () => {
    assert.equal(expandParameters({ lr: '[0.0001,0.001,0.01]', bs: '[16,32,64]', opt: "['adam','sgd']" }).length, 18);
  });
  it('no parameters: one empty combination', () => {
    assert.deepEqual(rows(expandParameters({})), [{}]);
  });
  it('an empty list gives no combinations', () => {
    assert.equal(expandParameters({ a: '[1,2]', b: '[]' }).length, 0);
  });
  it('zip pairs element-wise', () => {
    assert.deepEqual(rows(expandParameters({ d: "['cifar10','mnist']", m: "['resnet','cnn']" }, 'zip')), [
      { d: 'cifar10', m: 'resnet' }, { d: 'mnist', m: 'cnn' },
    ]);
  });
  it('zip with unequal lengths is an error', () => {
    assertInvalid(() => expandParameters({ d: '[1,2,3]', m: '[1,2]' }, 'zip'), /one length \(d: 3, m: 2\)/);
  });
  it('unknown mode is an error', () => {
    assertInvalid(() => expandParameters({ a: '1' }, 'cross' as 'zip'), /unknown parameter_mode/);
  });
});

describe('formatParameterValue and substituteParameters', () => {
  const formats: Array<[ParameterValue, string | undefined, string]> = [
    [int(7), undefined, '7'],
    [int(7), '03d', '007'],
    [int(1234), '03d', '1234'],
    [int(-5), '03d', '-05'],
    [int(7), '3d', '  7'],
    [int(7), 'd', '7'],
    [float(0.001), '.4f', '0.0010'],
    [float(0.5), undefined, '0.5'],
    [float(1), undefined, '1'],
    [float(2), '03d', '002'],
    [int(3), '.2f', '3.00'],
    [float(3.14159), '08.3f', '0003.142'],
    [float(1.5), 'f', '1.500000'],
    [str('adam'), undefined, 'adam'],
    [str('ab'), '4', 'ab  '],
  ];
  for (const [value, spec, expected] of formats) {
    it(`${value.value} with ${spec ?? 'no format'} → "${expected}"`, () => assert.equal(formatParameterValue(value, spec), expected));
  }
  const bad: Array<[ParameterValue, string, RegExp]> = [
    [float(0.5), '03d', /needs an integer/],
    [str('x'), '03d', /needs a number/],
    [int(1), 'x', /unknown placeholder format/],
  ];
  for (const [value, spec, message] of bad) {
    it(`rejects ${value.value} with ${spec}`, () => assertInvalid(() => formatParameterValue(value, spec), message));
  }

  const combination = new Map<string, ParameterValue>([['i', int(5)], ['lr', float(0.001)], ['opt', str('adam')]]);
  const substitutions: Array<[string, string]> = [
    ['job_{i:03d}', 'job_005'],
    ['echo {i} > out_{i:03d}.dat', 'echo 5 > out_005.dat'],
    ['train_lr{lr:.4f}_opt{opt}', 'train_lr0.0010_optadam'],
    ['{unknown} ${HOME} ${files.input.f1} {"a": 1}', '{unknown} ${HOME} ${files.input.f1} {"a": 1}'],
    ['{i}{i}{i:02d}', '5505'],
  ];
  for (const [text, expected] of substitutions) {
    it(`substitutes "${text}"`, () => assert.equal(substituteParameters(text, combination), expected));
  }
});
