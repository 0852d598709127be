// What the status bar item says: pure, so it is unit-tested in plain Node.

export type ServerState = 'starting' | 'loading' | 'ready' | 'stopped' | 'error';

export interface StatusInput {
  state: ServerState;
  /** Backend kind as the editor configures it (the workspace's linewright.toml may differ). */
  backend: string;
  /** Model name, or '' for the backend's default. */
  model: string;
  /** The latest progress or error message, if any. */
  message?: string;
}

export interface StatusView {
  text: string;
  tooltip: string;
  error: boolean;
}

const ICONS: Record<ServerState, string> = {
  starting: '$(sync~spin)',
  loading: '$(sync~spin)',
  ready: '$(check)',
  stopped: '$(circle-slash)',
  error: '$(error)',
};

const WORDS: Record<ServerState, string> = {
  starting: 'starting',
  loading: 'loading model',
  ready: 'ready',
  stopped: 'stopped',
  error: 'error',
};

export function statusView(input: StatusInput): StatusView {
  const model = input.model === '' ? 'default model' : input.model;
  const lines = [
    `Linewright: ${WORDS[input.state]}`,
    `Backend: ${input.backend} (${model})`,
  ];
  if (input.message) lines.push(input.message);
  lines.push('Click for the `linewright doctor` report.');
  const label = input.state === 'ready' ? 'Linewright' : `Linewright: ${WORDS[input.state]}`;
  return {
    text: `${ICONS[input.state]} ${label}`,
    tooltip: lines.join('\n'),
    error: input.state === 'error',
  };
}

/** A `$/progress` value (begin, report or end). */
export interface ProgressValue {
  kind: string;
  title?: string;
  message?: string;
}

/** Follows the server's "starting model" progress among all its `$/progress` tokens. */
export class ModelProgress {
  private token: string | number | undefined;

  /** The state this progress message puts the status in, or undefined when unrelated. */
  update(token: string | number, value: ProgressValue): ServerState | undefined {
    if (value.kind === 'begin' && value.title?.startsWith('Linewright: starting model')) {
      this.token = token;
      return 'loading';
    }
    if (token !== this.token) return undefined;
    if (value.kind === 'end') {
      this.token = undefined;
      return 'ready';
    }
    return 'loading';
  }
}

/** `window/showMessage` types (LSP's MessageType). */
export const MESSAGE_ERROR = 1;
export const MESSAGE_WARNING = 2;

/**
 * Whether a server message says the model backend failed. The server words every such
 * warning "Linewright: <what> failed ..." (completion and line flags alike, at most once a
 * minute); a failed command's message is an error about that command, not the backend.
 */
export function isBackendFailure(type: number, message: string): boolean {
  return (
    type === MESSAGE_WARNING &&
    /^Linewright: (line flags: )?(embedded llama\.cpp|[a-z]+ at \S+) failed\b/.test(message)
  );
}
