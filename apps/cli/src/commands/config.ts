import type { Command } from 'commander';
import {
  PROFILE_KEYS,
  configPath,
  readConfigFile,
  resolveConfig,
  selectedProfile,
  writeConfigFile,
  type ConnectionFlags,
  type ProfileKey,
} from '../config.js';
import type { GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { Output } from '../output.js';

const HIDDEN = '********';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('servers and credentials, in profiles');

  config
    .command('set')
    .description(`store ${PROFILE_KEYS.join(', ')} in a profile (--profile, default the current one)`)
    .argument('<key>', PROFILE_KEYS.join(' | '))
    .argument('<value>', 'the value')
    .action((key: string, value: string, _options, command: Command) => {
      if (!(PROFILE_KEYS as readonly string[]).includes(key)) {
        throw new UsageError(`Unknown key '${key}': use one of ${PROFILE_KEYS.join(', ')}.`);
      }
      const options = command.optsWithGlobals<GlobalOptions>();
      const path = configPath();
      const file = readConfigFile(path);
      const profile = selectedProfile(options, file);
      file.profiles[profile] = { ...file.profiles[profile], [key as ProfileKey]: value };
      writeConfigFile(path, file);
      const shown = key === 'password' ? HIDDEN : value;
      new Output(Boolean(options.json)).message(`Set ${key} = ${shown} in profile '${profile}' (${path})`, {
        profile,
        key,
        path,
      });
    });

  config
    .command('use')
    .description('make a profile the current one')
    .argument('<profile>', 'profile name')
    .action((profile: string, _options, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const path = configPath();
      const file = readConfigFile(path);
      file.current_profile = profile;
      file.profiles[profile] ??= {};
      writeConfigFile(path, file);
      new Output(Boolean(options.json)).message(`Profile '${profile}' is now current (${path})`, {
        profile,
        path,
      });
    });

  config
    .command('show')
    .description('the settings in effect and where each comes from (the password is never printed)')
    .action((_options, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & ConnectionFlags>();
      const resolved = resolveConfig(options);
      const file = readConfigFile(resolved.path);
      const shown = {
        config_file: resolved.path,
        profile: resolved.profile,
        profiles: Object.keys(file.profiles),
        url: resolved.connection.url,
        username: resolved.connection.username ?? null,
        password: resolved.connection.password === undefined ? null : HIDDEN,
        sources: resolved.sources,
      };
      const output = new Output(Boolean(options.json));
      if (output.json) return output.printJson(shown);
      output.line(`config file: ${shown.config_file}`);
      output.line(`profile:     ${shown.profile} (profiles: ${shown.profiles.join(', ') || 'none'})`);
      for (const key of PROFILE_KEYS) {
        const value = shown[key] ?? '(not set)';
        const source = resolved.sources[key];
        output.line(`${`${key}:`.padEnd(12)} ${value}${source ? ` (${source})` : ''}`);
      }
    });
}
