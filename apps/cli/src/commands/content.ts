import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { contextOf, integer, versionHref } from '../context.js';

const KINDS = {
  blobs: [
    { header: 'digest', value: (c: Json) => c.digest },
    { header: 'size', value: (c: Json) => c.size },
    { header: 'href', value: (c: Json) => c.pulp_href },
  ],
  manifests: [
    { header: 'digest', value: (c: Json) => c.digest },
    { header: 'type', value: (c: Json) => c.type },
    { header: 'media type', value: (c: Json) => c.media_type },
    { header: 'href', value: (c: Json) => c.pulp_href },
  ],
  tags: [
    { header: 'name', value: (c: Json) => c.name },
    { header: 'manifest', value: (c: Json) => c.tagged_manifest },
    { header: 'href', value: (c: Json) => c.pulp_href },
  ],
} as const;

export function registerContentCommands(program: Command): void {
  const content = program.command('content').description('tags, manifests and blobs');

  for (const [kind, columns] of Object.entries(KINDS)) {
    const filter: [string, string] =
      kind === 'tags'
        ? ['--name <name>', 'only this tag name']
        : ['--media-type <type>', 'only this media type'];
    content
      .command(kind)
      .description(`list ${kind} (in one repository version, or all of them)`)
      .option('--repository <repository>', 'only in this repository (name or href)')
      .option('--version <number>', 'of this version (default: latest)', integer)
      .option('--digest <digest>', 'only this digest')
      .option(...filter)
      .action(async (options, command: Command) => {
        const { client, output } = contextOf(command);
        const version = options.repository
          ? await versionHref(client, options.repository, options.version)
          : undefined;
        const items = await client.listAll(`content/container/${kind}/`, {
          repository_version: version,
          digest: options.digest,
          name: options.name,
          media_type: kind === 'manifests' ? options.mediaType : undefined,
        });
        output.table(items, columns);
      });
  }

  content
    .command('show')
    .description('show one content unit')
    .argument('<href>', 'content href')
    .action(async (href: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await client.get(href));
    });
}
