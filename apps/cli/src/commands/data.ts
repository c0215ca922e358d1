import type { Command } from 'commander';
export function registerData(_program: Command): void {}
