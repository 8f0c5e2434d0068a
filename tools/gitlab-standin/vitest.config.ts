import { defineGlciProject } from '../../vitest.shared.ts';

export default defineGlciProject(import.meta.dirname);
