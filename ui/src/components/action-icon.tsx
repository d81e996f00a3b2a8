import { safeColor } from '../lib/action-form.js';
import { iconPaths } from '../lib/action-icons.js';

/** An emoji or other short symbol given as the icon (some plugins do that). */
function symbolIcon(name: string | null | undefined): string | null {
  if (!name) return null;
  const characters = [...name];
  return characters.length <= 4 && /[^\x20-\x7e]/.test(name) ? name : null;
}

/**
 * The action's icon on a tile of its colour (decorative: the name is always next to it). An
 * unknown icon name shows the name's first letter; a colour that is not `#hex` is left out.
 */
export function ActionIcon({ icon, color, name, size = 'normal' }: { icon: string | null | undefined; color: string | null | undefined; name: string; size?: 'normal' | 'large' }) {
  const paths = iconPaths(icon);
  const symbol = paths ? null : symbolIcon(icon);
  const safe = safeColor(color);
  return (
    <span class={`action-icon action-icon-${size}`} style={safe ? { '--action-color': safe } : undefined} aria-hidden="true" data-icon={icon ?? ''}>
      {paths ? (
        <svg viewBox="0 0 24 24">
          {paths.map((d) => (
            <path key={d} d={d} />
          ))}
        </svg>
      ) : (
        <span class="action-icon-letter">{symbol ?? (name.trim()[0] ?? '?').toUpperCase()}</span>
      )}
    </span>
  );
}
