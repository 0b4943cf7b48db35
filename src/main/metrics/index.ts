export * from './imageMetrics.js';
