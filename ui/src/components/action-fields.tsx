import type { ComponentChildren } from 'preact';
import { isShown, isTemplateText, parseJsonText, type FieldInput, type FormField, type FormInputs, type FormModel } from '../lib/action-form.js';

/**
 * The inputs of an action's params form, generated from its schema (lib/action-form.ts): one
 * control per param kind, grouped, with required marks, hints and each field's problem. Fields
 * whose showWhen does not hold are not drawn (their typed text is kept for when they come back).
 */

export interface FieldsProps {
  model: FormModel;
  inputs: FormInputs;
  /** Field name → problem, from the client's checks or the server's answer. */
  errors: Record<string, string>;
  onInput: (name: string, value: FieldInput) => void;
}

const BRANCHES_PLACEHOLDER = '[\n  {"label": "high", "condition": "{{ params.priority > 5 }}", "target_step": "escalate"}\n]';

export const fieldId = (name: string) => `param-${name}`;
const hintId = (name: string) => `param-${name}-hint`;
const errorId = (name: string) => `param-${name}-error`;

function LabelText({ field }: { field: FormField }) {
  return (
    <span class="field-label">
      {field.label}
      {field.required && !field.hasDefault ? (
        <span class="required-mark" title="required" aria-hidden="true">
          *
        </span>
      ) : null}
    </span>
  );
}

/** The hint under a field: its description, live JSON checking, what a ref is. */
function hintOf(field: FormField, input: FieldInput | undefined): { text: ComponentChildren; bad: boolean } | null {
  if ((field.kind === 'json' || field.kind === 'branches') && typeof input === 'string' && input.trim() !== '' && !isTemplateText(input)) {
    const parsed = parseJsonText(input);
    if (!parsed.ok) return { text: parsed.message, bad: true };
    return { text: field.description ? `${field.description} · valid JSON` : 'Valid JSON', bad: false };
  }
  const parts: string[] = [];
  if (field.description) parts.push(field.description);
  if (field.kind === 'ref') parts.push(`an id (${field.paramType})`);
  if (field.kind === 'template' && !field.description) parts.push('a Jinja2 template: {{ params.x }}');
  return parts.length > 0 ? { text: parts.join(' · '), bad: false } : null;
}

function describedBy(field: FormField, hint: boolean, error: boolean): string | undefined {
  const ids = [hint ? hintId(field.name) : null, error ? errorId(field.name) : null].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

function Control({ field, input, invalid, describedBy: described, onInput }: { field: FormField; input: FieldInput | undefined; invalid: boolean; describedBy?: string; onInput: (value: FieldInput) => void }) {
  const common = {
    id: fieldId(field.name),
    name: fieldId(field.name),
    'aria-invalid': invalid,
    'aria-required': field.required && !field.hasDefault,
    'aria-describedby': described,
  };
  const textValue = typeof input === 'string' ? input : '';
  const submitOnCtrlEnter = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) (event.currentTarget as HTMLTextAreaElement).form?.requestSubmit();
  };
  switch (field.kind) {
    case 'select':
      return (
        <select {...common} value={textValue} onChange={(event) => onInput(event.currentTarget.value)}>
          {field.hasDefault ? null : <option value="">{field.required ? 'Choose…' : '—'}</option>}
          {field.options.map((option) => (
            <option key={option.key} value={option.key}>
              {option.label}
            </option>
          ))}
        </select>
      );
    case 'template':
      return <textarea {...common} class="template-input" rows={3} spellcheck={false} placeholder={field.placeholder ?? undefined} value={textValue} onInput={(event) => onInput(event.currentTarget.value)} onKeyDown={submitOnCtrlEnter} />;
    case 'json':
    case 'branches':
      return (
        <textarea
          {...common}
          class="json-input"
          rows={field.kind === 'branches' ? 6 : 4}
          spellcheck={false}
          placeholder={field.placeholder ?? (field.kind === 'branches' ? BRANCHES_PLACEHOLDER : 'JSON: "text", 42, [1, 2], {"key": "value"}')}
          value={textValue}
          onInput={(event) => onInput(event.currentTarget.value)}
          onKeyDown={submitOnCtrlEnter}
        />
      );
    case 'number':
    case 'range': {
      // A template ("{{ params.n }}") is text until the server renders it.
      if (isTemplateText(textValue)) return <input {...common} type="text" value={textValue} onInput={(event) => onInput(event.currentTarget.value)} />;
      if (field.kind === 'range') {
        const min = field.minimum ?? 0;
        const max = field.maximum ?? 100;
        const whole = Number.isInteger(min) && Number.isInteger(max) && max - min >= 10;
        return (
          <span class="range">
            <input
              {...common}
              type="range"
              min={min}
              max={max}
              step={whole ? 1 : 'any'}
              value={textValue === '' ? String(field.hasDefault ? field.default : min) : textValue}
              onInput={(event) => onInput(event.currentTarget.value)}
            />
            <output for={common.id} class="range-value">
              {textValue === '' ? 'not set' : textValue}
            </output>
          </span>
        );
      }
      return (
        <input
          {...common}
          type="number"
          step="any"
          min={field.minimum ?? undefined}
          max={field.maximum ?? undefined}
          placeholder={field.placeholder ?? undefined}
          value={textValue}
          onInput={(event) => onInput(event.currentTarget.value)}
        />
      );
    }
    default:
      return <input {...common} type="text" placeholder={field.placeholder ?? undefined} value={textValue} spellcheck={false} onInput={(event) => onInput(event.currentTarget.value)} />;
  }
}

function FieldView({ field, input, error, onInput }: { field: FormField; input: FieldInput | undefined; error: string | undefined; onInput: (value: FieldInput) => void }) {
  const hint = hintOf(field, input);
  // Broken JSON is already said, with its line and column, by the hint under the field.
  const shownError = error && !hint?.bad ? error : undefined;
  const errorText = shownError ? <span class="field-error" id={errorId(field.name)}>{`${field.label} ${shownError}`}</span> : null;
  const hintText = hint ? (
    <span class={`field-hint${hint.bad ? ' error-text' : ''}`} id={hintId(field.name)}>
      {hint.text}
    </span>
  ) : null;
  const invalid = Boolean(error) || Boolean(hint?.bad);
  const described = describedBy(field, Boolean(hint), Boolean(shownError));

  if (field.kind === 'boolean') {
    return (
      <div class="field" data-param={field.name}>
        <label class="check">
          <input type="checkbox" id={fieldId(field.name)} name={fieldId(field.name)} aria-describedby={described} checked={input === true} onChange={(event) => onInput(event.currentTarget.checked)} />
          <LabelText field={field} />
        </label>
        {hintText}
        {errorText}
      </div>
    );
  }
  if (field.kind === 'multiselect') {
    const chosen = Array.isArray(input) ? input : [];
    return (
      <fieldset class="field multiselect" data-param={field.name} aria-describedby={described} aria-invalid={invalid}>
        <legend>
          <LabelText field={field} />
        </legend>
        <div class="choices">
          {field.options.map((option) => (
            <label class="check" key={option.key}>
              <input
                type="checkbox"
                name={fieldId(field.name)}
                value={option.key}
                checked={chosen.includes(option.key)}
                onChange={(event) => onInput(event.currentTarget.checked ? [...chosen, option.key] : chosen.filter((key) => key !== option.key))}
              />
              {option.label}
            </label>
          ))}
        </div>
        {hintText}
        {errorText}
      </fieldset>
    );
  }
  return (
    <div class={`field field-${field.kind}`} data-param={field.name}>
      <label class="field-label-row" for={fieldId(field.name)}>
        <LabelText field={field} />
      </label>
      <Control field={field} input={input} invalid={invalid} describedBy={described} onInput={onInput} />
      {hintText}
      {errorText}
    </div>
  );
}

/** Every shown field, in groups: ungrouped ones first, then each group under its legend. */
export function ActionFields({ model, inputs, errors, onInput }: FieldsProps) {
  return (
    <>
      {model.groups.map((group) => {
        const shown = group.fields.filter((field) => isShown(model, field.name, inputs));
        if (shown.length === 0) return null;
        const fields = shown.map((field) => <FieldView key={field.name} field={field} input={inputs[field.name]} error={errors[field.name]} onInput={(value) => onInput(field.name, value)} />);
        return group.name === null ? (
          <div class="param-group" key="">
            {fields}
          </div>
        ) : (
          <fieldset class="param-group param-group-named" key={group.name}>
            <legend>{group.name}</legend>
            {fields}
          </fieldset>
        );
      })}
    </>
  );
}
