// The VS Code client of the wf language server: it starts `wf lsp` and
// talks to it over stdio. Everything language-aware (diagnostics, hover,
// completion, definitions, symbols, formatting, semantic tokens) is the
// server's; syntax colouring comes from syntaxes/wf.tmLanguage.json.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function createClient() {
  const command = vscode.workspace.getConfiguration('wf').get('path') || 'wf';
  const serverOptions = {
    command,
    args: ['lsp'],
    transport: TransportKind.stdio,
  };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'wf' }, { scheme: 'untitled', language: 'wf' }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.wf'),
    },
  };
  return new LanguageClient('wf', 'wf language server', serverOptions, clientOptions);
}

async function activate(context) {
  client = createClient();
  context.subscriptions.push(
    vscode.commands.registerCommand('wf.restartServer', async () => {
      if (client) {
        await client.stop();
      }
      client = createClient();
      await client.start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('wf.path')) {
        await vscode.commands.executeCommand('wf.restartServer');
      }
    }),
  );
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `Could not start the wf language server (${err.message}). Install wf and put it on PATH, or set "wf.path".`,
    );
  }
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
