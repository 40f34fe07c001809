// The independent reader of crawl's tests: parses WARC files with warcio.js
// (npm) and prints, as one JSON object, every record it read: its offset and
// length in the file, type, WARC header fields, HTTP status and header
// fields (request and response records), and digests recomputed here
// (sha1, RFC 4648 base32) of the block and of the payload, the payload's
// size and, with the content coding removed by warcio, its sha1 in hex.
//
//   node tools/warcio/check.mjs FILE.warc.gz [FILE…]
//
// Exit 0 when every file was read to its end; 1 with the error otherwise.
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { WARCParser } from "warcio";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
function base32(bytes) {
  let out = "", buffer = 0, bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
const sha1 = (bytes) => "sha1:" + base32(createHash("sha1").update(bytes).digest());
const sha1hex = (bytes) => createHash("sha1").update(bytes).digest("hex");

// Where an HTTP message's payload starts: after the empty line that ends its
// header section, its lines ended by CRLF or by LF alone; -1 if none.
function payloadStart(bytes) {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 10) continue;
    if (bytes[i + 1] === 10) return i + 2;
    if (bytes[i + 1] === 13 && i + 2 < bytes.length && bytes[i + 2] === 10) return i + 3;
  }
  return -1;
}

async function readFile(path) {
  // Pass 1, raw blocks: the digests are computed on the bytes as stored.
  const raw = [];
  const parser = new WARCParser(createReadStream(path), { parseHttp: false });
  for await (const record of parser) {
    const block = await record.readFully(false);
    const entry = {
      offset: parser.offset,
      type: record.warcType,
      headers: Object.fromEntries(record.warcHeaders.headers.entries()),
      content_length: record.warcContentLength,
      block_size: block.length,
      block_digest: sha1(block),
    };
    if (record.warcType === "response" || record.warcType === "request") {
      const start = payloadStart(block);
      const payload = start < 0 ? new Uint8Array() : block.subarray(start);
      entry.payload_digest = sha1(payload);
      entry.payload_size = payload.length;
      entry.payload_sha1_hex = sha1hex(payload);
    } else {
      entry.text = new TextDecoder().decode(block);
    }
    raw.push(entry);
  }
  // Pass 2, HTTP parsed by warcio: status, fields, the content decoded.
  let i = 0;
  for await (const record of new WARCParser(createReadStream(path))) {
    const entry = raw[i++];
    if (!entry) throw new Error("the second pass read more records than the first");
    if (record.httpHeaders) {
      entry.http_status = record.httpHeaders.statusCode ?? null;
      entry.http_headers = Object.fromEntries(record.httpHeaders.headers.entries());
      const content = await record.readFully(true);
      entry.content_sha1_hex = sha1hex(content);
      entry.content_size = content.length;
    }
  }
  if (i !== raw.length) throw new Error("the second pass read fewer records than the first");
  return raw;
}

const out = {};
try {
  for (const path of process.argv.slice(2)) out[path] = await readFile(path);
} catch (e) {
  console.error(`check.mjs: ${e.stack || e}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify(out) + "\n");
