#!/usr/bin/env node
// Regenerates the JavaScript reference vectors for `kotanipay::jsjson`:
//
//   node tests/vectors/make_js_vectors.js
//
// - js_stringify.json: [{"input", "output"}], output = JSON.stringify(JSON.parse(input)) as
//   computed by this Node. `jsjson::to_js_bytes(input)` must return exactly `output`.
// - js_inexact.json: [{"input", "path", "js"}] for texts holding a number that a JavaScript
//   double does not hold as written; `js` is what Node would send instead. `to_js_bytes` must
//   refuse every one of them, naming `path`.
// - js_bodies.json: [{"amount", "output"}]: SDK request bodies with exact decimal amounts, as
//   Node writes them; the client must send exactly `output`.
// - js_numbers.json: [{"input", "output"}] for 2,400 doubles (random bits, amounts, values near the
//   notation boundaries)
//   written as `x.toExponential()`; output as in js_stringify.json.
//
// Inputs are of two kinds: what serde_json writes for f64 / i64 / u64 values and Rust strings
// (the SDK's request bodies), and hand-written JSON (other spellings of numbers and escapes,
// whitespace, duplicate keys). `serdeString` below is serde_json's string escaping, written out
// so the string vectors hold serde_json's bytes; tests/js_vectors.rs checks that serde_json
// really writes them.
'use strict';

const fs = require('fs');
const path = require('path');

// serde_json (src/ser.rs, ESCAPE table): `"` and `\` escaped, \b \t \n \f \r short, every other
// C0 control as \u00xx with lower-case hex, everything else (DEL, U+2028, non-ASCII) raw.
function serdeString(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

let controls = '';
for (let c = 0; c < 0x20; c++) controls += String.fromCharCode(c);

// Strings as Rust holds them; written with serdeString.
const rustStrings = [
  controls,
  'DEL \u007f, LS \u2028, PS \u2029, NEL \u0085, BOM \ufeff, U+FFFF \uffff',
  'slash / and \\/ and "quotes" and \\ backslash \\\\',
  'emoji 😀 👩‍👩‍👧 G-clef 𝄞 max \u{10ffff}',
  'Zoë Ngũgĩ — 東京, e\u0301 (combining)',
  '',
  '<script>&amp;</script> \' `',
];

// f64 values as serde_json writes them (1.0.154, which formats with `zmij`: `500.0`, `1e-6`,
// `1e+16`), and i64 / u64 / u128 as it writes them (itoa). tests/js_vectors.rs checks each.
const serdeNumbers = [
  '0.0', '-0.0', '500.0', '-500.0', '1000000.0', '25.5', '1025.5', '0.1', '0.30000000000000004',
  '123.456', '1e-7', '-1e-7', '1e-6', '0.00001', '0.0001', '5e-324', '2.2250738585072014e-308',
  '1.7976931348623157e+308', '-1.7976931348623157e+308', '1e+16', '1000000000000000.0',
  '9007199254740992.0', '1.2345678901234568e+20', '1e+21', '1e+22', '1.5e+300', '3e-7', '1e+100',
  '0.000123', '1.1e-6', '9.999999999999999e+20', '1.0000000000000001e+21', '4.35', '1.5e+16',
  '123456780000000.0', '0.000025', '1e-300', '2.220446049250313e-16', '1.0', '-2.5',
  '0', '-1', '42', '1736', '9007199254740992', '9007199254740994', '-9007199254740992',
  '4294967295', '100000000000000000000',
];

// The same f64 values as serde_json wrote them before 1.0.146 (with `ryu`: no `+` in
// exponents).
const ryuNumbers = [
  '1.7976931348623157e308', '-1.7976931348623157e308', '1e16', '1.2345678901234568e20', '1e21',
  '1e22', '1.5e300', '1e100', '9.999999999999999e20', '1.0000000000000001e21', '1.5e16',
];

// Other spellings a hand-written body may use.
const handNumbers = [
  '1.50', '1E2', '1.0e+2', '100e-2', '-0', '-0e5', '0e-10', '0.0e0', '1e+21', '1E21',
  '123456789012345680000', '12345678901234567000', '2e-7', '0.000001', '0.0000001', '0.00000012',
  '1.00', '1e0', '10E-1', '25.50', '2.5000000000000000', '5e-324', '1e-6', '0.1e1', '0.01e2',
  '100000000000000000000.0', '1000000000000000000000', '999999999999999900000',
];

const rawInputs = [
  // Scalars and containers.
  'true', 'false', 'null', '"s"', '[]', '{}', '[1,2,3]', '[[],[[]],{}]',
  // A request body the SDK writes.
  '{"customer_key":"cus_1","amount":500.0,"walletId":"w-1","callbackUrl":"https://example.com/cb?a=1&b=2","currency":"KES","fee":0.1}',
  '{"fiatAmount":1000.0,"rate":{"from":"KES","to":"USDT","cryptoAmount":7.751937984496124},"items":[{"n":1,"x":2.5},{"n":-0.0,"x":1e21}]}',
  // Whitespace everywhere.
  ' { "a" : [ 1 , 2.0 , { } , [ ] ] ,\n\t"b" : "x y" } \r\n',
  '\n\t 7 \n',
  // JavaScript property order: array-index keys first, ascending; then the rest as received.
  '{"b":1,"a":2}',
  '{"10":1,"2":2,"a":3,"01":4,"1":5}',
  '{"z":0,"4294967295":1,"4294967294":2,"0":3,"-1":4,"1.5":5,"":6,"+1":7,"1e3":8,"00":9," 1":10}',
  '{"a":{"c":1,"b":2,"1":3},"0":[{"9":1,"8":2,"x":{"3":3,"2":2}}]}',
  '{"x":1,"\\u0031":2,"0":3}',
  '{"18446744073709551616":1,"9007199254740993":2,"4294967296":3,"7":4}',
  // Already in order.
  '{"0":"a","1":"b","2":"c","name":"d"}',
  // Duplicate keys: the last value, at the first key's position.
  '{"a":1,"b":2,"a":3}',
  '{"2":1,"1":2,"2":3}',
  '{"k":1,"\\u006b":2,"j":3}',
  '{"a":{"x":1},"a":[1,{"y":2,"y":3}],"b":null}',
  '{"a":1,"a":2,"a":3}',
  // Escapes in other spellings.
  '"\\/"', '"\\u0041\\u00e9\\u00E9"', '"\\u001F\\u001f\\u007F"', '"\\ud83d\\ude00"', '"\\uD83D\\uDE00"',
  '"\\ud800"', '"\\uDC00\\uD800"', '"\\ud800\\u0041"', '"\\ud800\\ud800\\udc00"', '"\\b\\f\\n\\r\\t"',
  '"\\u0008\\u0009\\u000a\\u000C\\u000d"', '"\\u2028\\u2029"', '"\\u0022\\u005c\\u005C\\u002f"',
  '"a\\"b\\\\c"', '{"\\ud800":"\\udfff","\\u00e9":1}',
];

const inputs = [];
for (const s of rustStrings) inputs.push(serdeString(s));
inputs.push('{' + rustStrings.map((s, i) => serdeString(s) + ':' + serdeString(rustStrings[(i + 1) % rustStrings.length])).join(',') + '}');
for (const n of serdeNumbers) inputs.push(n);
inputs.push('[' + serdeNumbers.join(',') + ']');
for (const n of ryuNumbers) inputs.push(n);
for (const n of handNumbers) inputs.push(n);
inputs.push('{"amounts":[' + handNumbers.join(',') + ']}');
for (const t of rawInputs) inputs.push(t);

const seen = new Set();
const vectors = [];
for (const input of inputs) {
  if (seen.has(input)) continue;
  seen.add(input);
  vectors.push({ input, output: JSON.stringify(JSON.parse(input)) });
}

// Doubles from random bits (every exponent, subnormals included) and random amounts, written
// with their shortest digits in exponent form (`x.toExponential()`, e.g. `1.2345e+21`, `5e-7`):
// the output is Node's Number::toString of each. Checks digit choice and notation at scale.
let seed = 0x2545f4914f6cdd1dn;
function nextBits() {
  seed ^= (seed << 13n) & 0xffffffffffffffffn;
  seed ^= seed >> 7n;
  seed ^= (seed << 17n) & 0xffffffffffffffffn;
  return seed;
}
const view = new DataView(new ArrayBuffer(8));
const numberVectors = [];
for (let i = 0; i < 2400; i++) {
  let x;
  if (i % 4 === 0) {
    view.setBigUint64(0, nextBits());
    x = view.getFloat64(0);
    if (!Number.isFinite(x)) continue;
  } else if (i % 4 === 1) {
    x = Number(nextBits() % 100000000n) / 100; // an amount with cents
  } else if (i % 4 === 2) {
    // Up to 17 digits around the notation boundaries (1e-7 .. 1e+21 and beyond).
    const digits = nextBits() % 100000000000000000n;
    x = Number(`${digits}e${Number(nextBits() % 40n) - 25}`);
  } else {
    x = (Number(nextBits() % 2000001n) - 1000000) / 8; // whole and binary fractions
  }
  const input = x.toExponential();
  numberVectors.push({ input, output: JSON.stringify(JSON.parse(input)) });
  if (String(x) !== JSON.stringify(x)) throw new Error('String and JSON.stringify differ: ' + x);
}

// Numbers a double does not hold as written. `path` is where the first one is.
const inexact = [
  ['9007199254740993', '$'],
  ['-9007199254740993', '$'],
  ['12345678901234567890', '$'],
  ['18446744073709551615', '$'], // u64::MAX as serde_json writes it
  ['9223372036854775807', '$'], // i64::MAX
  ['-9223372036854775808', '$'], // i64::MIN
  ['1.00000000000000001', '$'],
  ['0.1000000000000000055511151231257827', '$'],
  ['0.30000000000000000001', '$'],
  ['123456789012345678901234567890', '$'],
  ['1e400', '$'],
  ['-1e400', '$'],
  ['1e-400', '$'],
  ['2.4703282292062327e-324', '$'],
  ['123456789012345680001', '$'],
  ['1.7976931348623159e308', '$'],
  ['{"a":[1,{"amount":9007199254740993}]}', '$.a[1].amount'],
  ['{"ok":1.5,"fee":25.000000000000000001}', '$.fee'],
  ['[0,[1,[2,1e999]]]', '$[1][1][1]'],
  ['{"the key":1,"odd\\"key":12345678901234567891}', '$["odd\\"key"]'],
  ['{"10":{"b":99999999999999999999}}', '$["10"].b'],
];

// Decimal value of a JSON number token, as (sign, digits, exponent) with no leading or trailing
// zeros: two tokens are the same number exactly when these agree.
function decimal(t) {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m) throw new Error('not a number token: ' + t);
  let digits = m[2] + (m[3] || '');
  let exp = BigInt(m[4] || '0') - BigInt((m[3] || '').length);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  const trimmed = digits.replace(/0+$/, '');
  exp += BigInt(digits.length - trimmed.length);
  if (trimmed === '') return '0';
  return (m[1] ? '-' : '') + trimmed + 'e' + exp;
}

const inexactVectors = [];
for (const [input, where] of inexact) {
  const js = JSON.stringify(JSON.parse(input));
  // A lone number must come out different (or `null`, for an overflow); for bodies, `js`
  // records what Node would send.
  if (!/^[\[{]/.test(input) && js !== 'null' && decimal(js) === decimal(input)) {
    throw new Error('exact after all: ' + input);
  }
  inexactVectors.push({ input, path: where, js });
}
// Every accepted number vector really is exact.
for (const { input, output } of vectors) {
  if (/^\s*-?\d/.test(input) && decimal(input.trim()) !== decimal(output)) {
    throw new Error('inexact number in the accepted list: ' + input);
  }
}

// SDK request bodies with exact decimal amounts (tests/real_traffic.rs sends each through the
// client and compares the bytes the server received): a mobile-money withdrawal as the SDK
// lays it out (fields in the generated struct's order), the amount given as a decimal string
// and read by Node as the number it denotes.
const bodyAmounts = [
  '500', '500.00', '1500.5', '0.1', '0.29', '12.75', '0.0000001', '0.000001', '0.00001234',
  '123456789012.34', '99999999999999.98', '9007199254740991', '20000000000000000000',
  '1000000000000000000000', '0.0000000000000000000000000001',
];
const bodyVectors = bodyAmounts.map((amount) => ({
  amount,
  output: JSON.stringify({
    amount: Number(amount),
    customer_key: 'ck-1',
    walletId: 'f053188c-d924-4423-bbba-871eda0b1cd9',
  }),
}));

const dir = __dirname;
fs.writeFileSync(path.join(dir, 'js_bodies.json'), JSON.stringify(bodyVectors, null, 1) + '\n');
fs.writeFileSync(path.join(dir, 'js_stringify.json'), JSON.stringify(vectors, null, 1) + '\n');
fs.writeFileSync(path.join(dir, 'js_inexact.json'), JSON.stringify(inexactVectors, null, 1) + '\n');
fs.writeFileSync(
  path.join(dir, 'js_numbers.json'),
  '[\n' + numberVectors.map((v) => JSON.stringify(v)).join(',\n') + '\n]\n',
);
console.log(
  `node ${process.version}: ${vectors.length} stringify vectors, ${inexactVectors.length} inexact, ` +
    `${numberVectors.length} numbers, ${bodyVectors.length} request bodies`,
);
