// The preload script: the only bridge between the sandboxed page and the main process. It will expose the typed
// API's call/listen for allow-listed channels; until then it exposes nothing.
export {};
