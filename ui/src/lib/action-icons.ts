/** The line icons of the Actions page, as SVG path data (no DOM: tested under Node). */

/** A circle as path data, so every icon is a list of paths. */
const circle = (cx: number, cy: number, r: number) => `M${cx - r} ${cy}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`;

/**
 * Line icons (24×24, drawn with the stroke) for the icon names actions declare: the built-ins'
 * names and a few common aliases. No icon font: about 2 KB, and nothing to load.
 */
const ICONS: Record<string, string[]> = {
  'file-text': ['M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z', 'M14 3v5h5', 'M9 13h6', 'M9 17h6'],
  clock: [circle(12, 12, 9), 'M12 7v5l3 2'],
  timer: [circle(12, 13, 8), 'M12 9v4l2 2', 'M9 2h6', 'M12 2v3'],
  'x-circle': [circle(12, 12, 9), 'M15 9l-6 6', 'M9 9l6 6'],
  'git-branch': [circle(6, 5, 2), circle(6, 19, 2), circle(18, 7, 2), 'M6 7v10', 'M18 9c0 5-6 5-11 8.5'],
  stack: ['M12 3l9 4.5-9 4.5-9-4.5z', 'M3 12l9 4.5 9-4.5', 'M3 16.5l9 4.5 9-4.5'],
  swap: ['M4 8h15l-4-4', 'M20 16H5l4 4'],
  'arrow-square-out': ['M14 4h6v6', 'M20 4l-9 9', 'M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5'],
  plug: ['M9 2v5', 'M15 2v5', 'M6 7h12v4a6 6 0 0 1-12 0z', 'M12 17v5'],
  send: ['M22 2L11 13', 'M22 2l-7 20-4-9-9-4z'],
  globe: [circle(12, 12, 9), 'M3 12h18', 'M12 3a14 14 0 0 1 0 18', 'M12 3a14 14 0 0 0 0 18'],
  bell: ['M6 16v-5a6 6 0 0 1 12 0v5l2 2H4z', 'M10 21h4'],
  terminal: ['M4 17l6-5-6-5', 'M12 19h8'],
  database: ['M4 5a8 3 0 1 0 16 0a8 3 0 1 0-16 0', 'M4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5', 'M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3'],
  mail: ['M3 5h18v14H3z', 'M3 6l9 7 9-7'],
  code: ['M8 7l-5 5 5 5', 'M16 7l5 5-5 5'],
  zap: ['M13 2L4 14h7l-1 8 9-12h-7z'],
};

const ALIASES: Record<string, string> = {
  file: 'file-text',
  'circle-x': 'x-circle',
  branch: 'git-branch',
  'git-fork': 'git-branch',
  layers: 'stack',
  shuffle: 'swap',
  'arrows-left-right': 'swap',
  'external-link': 'arrow-square-out',
  'paper-plane': 'send',
  'paper-plane-tilt': 'send',
  notification: 'bell',
  command: 'terminal',
  db: 'database',
  http: 'globe',
  world: 'globe',
  envelope: 'mail',
  email: 'mail',
  lightning: 'zap',
  bolt: 'zap',
};

/** The paths for an icon name (`ph-bell`, `Bell`, `bell-simple` all find bell), or null. */
export function iconPaths(name: string | null | undefined): string[] | null {
  if (!name) return null;
  const plain = name.toLowerCase().replace(/^(ph|lucide|fa|mdi|icon)[-:]/, '');
  for (const candidate of [plain, plain.replace(/-(simple|alt|outline|fill|bold)$/, '')]) {
    const found = ICONS[candidate] ?? ICONS[ALIASES[candidate] ?? ''];
    if (found) return found;
  }
  return null;
}

