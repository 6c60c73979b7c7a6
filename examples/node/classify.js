#!/usr/bin/env node
// Classify photos with an exported wildvision model from Node.js.
//
//   node classify.js MODEL.ingraph.onnx photo.jpg [more.png ...] [--json] [--embedding]
//                    [--pack rhino_horn.wvpack ...]
//
// The in-graph model takes decoded RGB pixels (uint8 [1, H, W, 3], any size) and does the
// resize, crop and normalisation itself, so all this program does is decode the photo. The
// labels, thresholds and decision rule come from the model's own metadata
// ("wildvision.spec"), read straight from the ONNX file. A product pack (`wildvision pack
// build`) is JSON: its score is sigmoid(weights . embedding + bias), met by its own thresholds.
"use strict";

const crypto = require("crypto");
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

// --- product packs: a linear head over the model's "embedding" output ---
function loadPack(path, modelSha256) {
  const pack = JSON.parse(fs.readFileSync(path, "utf8"));
  if (pack.format !== "wildvision.pack") throw new Error(`${path}: not a wildvision pack`);
  if (![pack.model_sha256, ...(pack.also_fits || [])].includes(modelSha256)) {
    throw new Error(`${path}: built for another model (sha256 ${pack.model_sha256.slice(0, 12)}); build it for this one`);
  }
  return pack; // its checksum is checked by `wildvision pack verify`
}

function packScore(pack, embedding) {
  let logit = pack.bias;
  for (let i = 0; i < embedding.length; i++) logit += pack.weights[i] * embedding[i];
  return 1 / (1 + Math.exp(-logit));
}

// --- the decision rule: the same as wildvision.prediction.decide_with_label ---
// With a guard (spec.guard, models from 0.3.0), a photo far from every wildlife training
// photo (the graph's guard_distance output) is capped: at review past block_distance, at
// allow past review_distance.
// A pack's label is not capped by the guard; it takes over when it decides more strongly.
const LEVEL = { allow: 0, review: 1, block: 2 };

function decide(scores, spec, guardDistance, packs = []) {
  let decision = "allow";
  for (const label of spec.wildlife_labels) {
    const t = spec.thresholds[label];
    const p = scores[label] || 0;
    if (p >= t.block) { decision = "block"; break; }
    if (p >= t.review) decision = "review";
  }
  const guard = spec.guard;
  if (guard && guardDistance !== null && decision !== "allow") {
    if (guardDistance > guard.review_distance) decision = "allow";
    else if (guardDistance > guard.block_distance) decision = "review";
  }
  let packLabel = null;
  for (const pack of packs) {
    const p = scores[pack.label] || 0;
    const level = p >= pack.thresholds.block ? "block" : p >= pack.thresholds.review ? "review" : "allow";
    if (LEVEL[level] > LEVEL[decision] || (packLabel && level === decision && p > scores[packLabel])) {
      decision = level;
      packLabel = pack.label;
    }
  }
  return { decision, packLabel };
}

async function main(argv) {
  const json = argv.includes("--json");
  const withEmbedding = argv.includes("--embedding"); // add the "embedding" output to --json rows
  const packPaths = argv.flatMap((a, i) => (argv[i - 1] === "--pack" ? [a] : []));
  const [modelPath, ...images] = argv.filter(
    (a, i) => a !== "--json" && a !== "--embedding" && a !== "--pack" && argv[i - 1] !== "--pack",
  );
  if (!modelPath || images.length === 0) {
    console.error("usage: node classify.js MODEL.ingraph.onnx IMAGE... [--json] [--embedding] [--pack F ...]");
    return 2;
  }
  const modelBytes = fs.readFileSync(modelPath);
  const modelSha256 = crypto.createHash("sha256").update(modelBytes).digest("hex");
  const packs = packPaths.map((path) => loadPack(path, modelSha256));
  const metadata = readMetadata(modelBytes);
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
      for (const pack of packs) scores[pack.label] = packScore(pack, embedding);
      const { decision, packLabel } = decide(scores, spec, guardDistance, packs);
      const label = packLabel || spec.labels[best];
      const result = {
        source: path, label, score: scores[label], scores, decision,
        guard_distance: guardDistance, error: null, model_version: spec.version,
      };
      if (withEmbedding) result.embedding = embedding;
      console.log(json ? JSON.stringify(result) : `${path}\t${result.label}\t${result.score.toFixed(4)}\t${result.decision}`);
    } catch (err) {
      failed += 1;
      console.log(json ? JSON.stringify({ source: path, label: "", score: 0, scores: {}, decision: "error", error: err.message, model_version: spec.version }) : `${path}\terror\t${err.message}`);
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => { console.error(`error: ${err.message}`); process.exit(2); });
