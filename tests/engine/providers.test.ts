// Which execution providers a session tries when none is named: the build's, minus WebGPU where it cannot load
// (Linux without a Vulkan loader, where trying it makes Dawn print a warning on every command).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import { availableProviders, vulkanLoaderFound } from '../../src/main/ml/engine/runtime.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const saved = process.env.LD_LIBRARY_PATH;

afterEach(() => {
  if (saved === undefined) delete process.env.LD_LIBRARY_PATH;
  else process.env.LD_LIBRARY_PATH = saved;
});

describe('availableProviders', () => {
  it('keeps WebGPU where a Vulkan loader is found and leaves it out on Linux where none is', async () => {
    const built = ort.listSupportedBackends().some((b) => b.name === 'webgpu');
    const dir = await tempDir();
    await writeFile(path.join(dir, 'libvulkan.so.1'), '');
    process.env.LD_LIBRARY_PATH = dir;
    expect(vulkanLoaderFound()).toBe(true);
    expect(availableProviders().includes('webgpu')).toBe(built);
    expect(availableProviders().at(-1)).toBe('cpu');

    process.env.LD_LIBRARY_PATH = path.join(dir, 'nowhere');
    if (process.platform === 'linux' && !vulkanLoaderFound()) expect(availableProviders()).not.toContain('webgpu');
    expect(availableProviders().at(-1)).toBe('cpu');
  });
});
