// Which execution providers a session tries when none is named: the build's, minus CUDA without its provider library
// and WebGPU where it cannot load (Linux without a Vulkan loader): trying either prints an error or a warning on every
// command.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import { availableProviders, cudaProviderInstalled, ortBindingDir, vulkanLoaderFound } from '../../src/main/ml/engine/runtime.js';
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

  it('keeps CUDA only where its provider library lies beside the binding', async () => {
    const dir = await tempDir();
    expect(cudaProviderInstalled(dir)).toBe(false);
    await writeFile(path.join(dir, 'libonnxruntime_providers_cuda.so'), '');
    expect(cudaProviderInstalled(dir)).toBe(true);

    // this machine's install: the binding is where onnxruntime-node loads it from, and CUDA is tried only if installed
    expect(existsSync(path.join(ortBindingDir(), 'onnxruntime_binding.node'))).toBe(true);
    const installed = existsSync(path.join(ortBindingDir(), 'libonnxruntime_providers_cuda.so'));
    expect(availableProviders().includes('cuda')).toBe(installed && ort.listSupportedBackends().some((b) => b.name === 'cuda'));
  });
});
