#!/usr/bin/env node
// Classify photos with an exported wildvision model from Node.js.
//
//   node classify.js MODEL.ingraph.onnx photo.jpg [more.png ...] [--json] [--embedding]
//
// The in-graph model takes decoded RGB pixels (uint8 [1, H, W, 3], any size) and does the
// resize, crop and normalisation itself, so all this program does is decode the photo. The
// labels, thresholds and decision rule come from the model's own metadata
// ("wildvision.spec"), read straight from the ONNX file.
"use strict";

const fs = require("fs");
const ort = require("onnxruntime-node");
const jpeg = require("jpeg-js");
const { PNG } = require("pngjs");

const METADATA_KEY = "wildvision.spec";

// --- a minimal protobuf reader: just enough to find ModelProto.metadata_props (field 14) ---
function readVarint(buf, pos) {
  let value = 0;
  let shift = 1;
  for (;;) {
    const byte = buf[pos.i++];
    value += (byte & 0x7f) * shift;
    if (byte < 0x80) return value;
    shift *= 128;
  }
}

function fields(buf, onField) {
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const key = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) readVarint(buf, pos);
    else if (wire === 1) pos.i += 8;
    else if (wire === 5) pos.i += 4;
    else if (wire === 2) {
      const length = readVarint(buf, pos);
      onField(field, buf.subarray(pos.i, pos.i + length));
      pos.i += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

function readMetadata(modelBytes) {
  const metadata = {};
  fields(modelBytes, (field, bytes) => {
    if (field !== 14) return;
    const entry = {};
    fields(bytes, (f, b) => { entry[f === 1 ? "key" : "value"] = b.toString("utf8"); });
    metadata[entry.key] = entry.value;
  });
  return metadata;
}

// --- decoding: JPEG and PNG to RGB bytes (alpha composited on white, as Python does) ---
function decode(path) {
  const data = fs.readFileSync(path);
  if (data[0] === 0xff && data[1] === 0xd8) {
    const image = jpeg.decode(data, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    return { width: image.width, height: image.height, rgb: image.data };
  }
  if (data.subarray(1, 4).toString() === "PNG") {
    const png = PNG.sync.read(data);
    const rgb = new Uint8Array(png.width * png.height * 3);
    for (let p = 0, q = 0; p < png.data.length; p += 4, q += 3) {
      const alpha = png.data[p + 3] / 255;
      for (let c = 0; c < 3; c++) {
        rgb[q + c] = Math.round(png.data[p + c] * alpha + 255 * (1 - alpha));
      }
    }
    return { width: png.width, height: png.height, rgb };
  }
  throw new Error(`${path}: not a JPEG or PNG file`);
}

// --- the decision rule: the same as wildvision.prediction.decide ---
// With a guard (spec.guard, models from 0.3.0), a photo far from every wildlife training
// photo (the graph's guard_distance output) is capped: at review past block_distance, at
// allow past review_distance.
function decide(scores, spec, guardDistance) {
  let decision = "allow";
  for (const label of spec.wildlife_labels) {
    const t = spec.thresholds[label];
    const p = scores[label] || 0;
    if (p >= t.block) { decision = "block"; break; }
    if (p >= t.review) decision = "review";
  }
  const guard = spec.guard;
  if (!guard || guardDistance === null || decision === "allow") return decision;
  if (guardDistance > guard.review_distance) return "allow";
  if (guardDistance > guard.block_distance) return "review";
  return decision;
}

async function main(argv) {
  const json = argv.includes("--json");
  const withEmbedding = argv.includes("--embedding"); // add the "embedding" output to --json rows
  const [modelPath, ...images] = argv.filter((a) => a !== "--json" && a !== "--embedding");
  if (!modelPath || images.length === 0) {
    console.error("usage: node classify.js MODEL.ingraph.onnx IMAGE... [--json] [--embedding]");
    return 2;
  }
  const metadata = readMetadata(fs.readFileSync(modelPath));
  if (!metadata[METADATA_KEY]) throw new Error(`${modelPath}: no ${METADATA_KEY} metadata; not a wildvision model`);
  const spec = JSON.parse(metadata[METADATA_KEY]);
  const session = await ort.InferenceSession.create(modelPath);
  if (!session.inputNames.includes("image")) {
    throw new Error(`${modelPath} takes ${session.inputNames}; export the in-graph variant (wildvision export RUN --formats ingraph)`);
  }
  let failed = 0;
  for (const path of images) {
    try {
      const { width, height, rgb } = decode(path);
      const input = new ort.Tensor("uint8", rgb, [1, height, width, 3]);
      const output = await session.run({ image: input });
      const probabilities = Array.from(output.probabilities.data);
      const scores = Object.fromEntries(spec.labels.map((label, i) => [label, probabilities[i]]));
      const best = probabilities.indexOf(Math.max(...probabilities));
      const guardDistance = output.guard_distance ? output.guard_distance.data[0] : null;
      const embedding = output.embedding ? Array.from(output.embedding.data) : null;
      const result = {
        source: path, label: spec.labels[best], score: probabilities[best], scores,
        decision: decide(scores, spec, guardDistance), guard_distance: guardDistance, error: null,
      };
      if (withEmbedding) result.embedding = embedding;
      console.log(json ? JSON.stringify(result) : `${path}\t${result.label}\t${result.score.toFixed(4)}\t${result.decision}`);
    } catch (err) {
      failed += 1;
      console.log(json ? JSON.stringify({ source: path, label: "", score: 0, scores: {}, decision: "error", error: err.message }) : `${path}\terror\t${err.message}`);
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => { console.error(`error: ${err.message}`); process.exit(2); });
