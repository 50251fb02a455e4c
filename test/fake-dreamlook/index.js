'use strict';
// Entry point of the fake dreamlook.ai API. See README.md.
const { FakeDreamlook, startFakeDreamlook, DEFAULT_API_KEY } = require('./fake.js');
const { formatUs, parseTimestamp } = require('./jobs.js');
const { makePng, inspectPng } = require('./png.js');
const { startRecorder } = require('./recorder.js');

module.exports = { startFakeDreamlook, FakeDreamlook, DEFAULT_API_KEY, formatUs, parseTimestamp, makePng, inspectPng, startRecorder };
