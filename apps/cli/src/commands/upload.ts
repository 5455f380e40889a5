import type { Command } from 'commander';
import type { Json } from '../api-client.js';
import { byteSize, contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { resumeUpload, uploadFile, type UploadPurpose } from '../uploads.js';

function purposeOf(options: { as?: string; repository?: string; tag?: string }): UploadPurpose {
  switch (options.as ?? 'artifact') {
    case 'artifact':
      if (options.repository || options.tag)
        throw new UsageError('--repository and --tag need --as blob or --as manifest.');
      return { kind: 'artifact' };
    case 'blob':
      if (options.tag) throw new UsageError('--tag needs --as manifest.');
      return { kind: 'blob', repository: options.repository };
    case 'manifest':
      if (options.tag && !options.repository) throw new UsageError('--tag needs --repository.');
      return { kind: 'manifest', repository: options.repository, tag: options.tag };
    default:
      throw new UsageError(`--as must be artifact, blob or manifest, not '${options.as}'.`);
  }
}

export function registerUploadCommands(program: Command): void {
  const upload = program.command('upload').description('chunked, resumable uploads of files');

  upload
    .command('file')
    .description(
      'upload a file in chunks (Ctrl-C leaves it resumable) and make it an artifact, blob or manifest',
    )
    .argument('<file>', 'the file')
    .option('--as <kind>', 'artifact (default), blob or manifest')
    .option('--repository <repository>', 'add the blob or manifest to this repository (name or href)')
    .option('--tag <tag>', 'tag the manifest in --repository')
    .option('--chunk-size <size>', 'bytes per chunk (default 8MiB; at least 5MiB on S3)', byteSize)
    .option('--no-wait', 'do not wait for the commit task')
    .action(async (file: string, options, command: Command) => {
      const purpose = purposeOf(options);
      // The blob or manifest is made from the committed artifact, so it cannot be asked for without waiting.
      if (!options.wait && purpose.kind !== 'artifact')
        throw new UsageError('--no-wait makes an artifact only.');
      await uploadFile(contextOf(command), file, purpose, options);
    });

  upload
    .command('resume')
    .description('send what an interrupted upload is missing, then finish it')
    .argument('<upload>', 'upload href (printed when the upload was interrupted)')
    .argument('<file>', 'the same file')
    .option(
      '--chunk-size <size>',
      'chunk size of the interrupted upload, if this machine did not start it',
      byteSize,
    )
    .option('--no-wait', 'do not wait for the commit task')
    .action(async (href: string, file: string, options, command: Command) => {
      await resumeUpload(contextOf(command), href, file, options);
    });

  upload
    .command('list')
    .description('list uploads not yet committed')
    .action(async (_options, command: Command) => {
      const { client, output } = contextOf(command);
      output.table(await client.listAll('uploads/'), [
        { header: 'size', value: (u: Json) => u.size },
        { header: 'created', value: (u: Json) => u.pulp_created },
        { header: 'href', value: (u: Json) => u.pulp_href },
      ]);
    });

  upload
    .command('show')
    .description('show an upload and the chunks it received')
    .argument('<upload>', 'upload href')
    .action(async (href: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await client.get(href));
    });

  upload
    .command('delete')
    .description('abandon an upload')
    .argument('<upload>', 'upload href')
    .action(async (href: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      await client.delete(href);
      output.message(`Deleted ${href}`, { deleted: href });
    });

  const artifact = program.command('artifact').description('stored files, by sha256');
  artifact
    .command('list')
    .description('list artifacts')
    .option('--sha256 <sha256>', 'only this checksum')
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      output.table(await client.listAll('artifacts/', { sha256: options.sha256 }), [
        { header: 'sha256', value: (a: Json) => a.sha256 },
        { header: 'size', value: (a: Json) => a.size },
        { header: 'href', value: (a: Json) => a.pulp_href },
      ]);
    });
  artifact
    .command('show')
    .description('show an artifact')
    .argument('<artifact>', 'artifact href')
    .action(async (href: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await client.get(href));
    });
}
