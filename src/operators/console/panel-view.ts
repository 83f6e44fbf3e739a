/**
 * Draws a console panel from its description (panels.ts): forms whose fields become params of an
 * admin method, and a list read from one, with an action per row. A new admin method becomes a
 * panel by describing it; nothing here knows any method.
 */

export type Row = Record<string, unknown>;
/** A form's values by field name, as typed (trimmed); empty fields are absent. */
export type Values = Record<string, string>;
export type Params = Record<string, unknown>;

export interface Field {
  name: string;
  label: string;
  /** `scope`: a choice of the scopes; `textarea`: several lines of text; `datetime`: sent as ISO-8601. */
  kind?: 'text' | 'scope' | 'number' | 'datetime' | 'select' | 'textarea';
  options?: readonly string[];
  required?: boolean;
  placeholder?: string;
}

export interface Column {
  key: string;
  label: string;
  mono?: boolean;
  format?: (value: unknown, row: Row) => string;
}

/**
 * A button on each row: calls a method about the row (`query`: the params the list was read with,
 * e.g. its scope), fills a form of the panel with it, or opens another panel's list for it.
 */
export type RowAction =
  | { label: string; method: string; params(row: Row, query: Params): Params; danger?: boolean; confirm?: string; when?(row: Row): boolean }
  | { label: string; fill: { form: string; values(row: Row): Values }; when?(row: Row): boolean }
  | { label: string; open: { panel: string; values(row: Row, query: Params): Values }; when?(row: Row): boolean };

export interface ListSpec {
  caption: string;
  method: string;
  /** Filters above the list; without any, the list loads when the panel opens. */
  fields: Field[];
  params(values: Values): Params;
  rows(result: Row): Row[];
  columns: Column[];
  actions?: RowAction[];
  /** How a row is named to screen readers in its buttons' labels ("Disable alice"). */
  rowName(row: Row): string;
  /** The params of the next page, or null on the last one. */
  next?(result: Row, params: Params): Params | null;
}

export interface FormSpec {
  id: string;
  title: string;
  fields: Field[];
  /** One button per method the same fields are for (e.g. disable, enable, end sessions). */
  actions: Array<{ label: string; method: string; danger?: boolean; confirm?: string }>;
  params(values: Values): Params;
  done(result: Row, action: string): string;
}

export interface Panel {
  id: string;
  title: string;
  description: string;
  list?: ListSpec;
  forms?: FormSpec[];
}

/** What a panel may do: admin calls through the operator's session, and the page's shared messages. */
export interface ConsoleEnv {
  call<T = Row>(method: string, params: Params): Promise<T>;
  /** The scopes, for `scope` fields (read once, again after a scope changes). */
  scopes(): Promise<Array<{ scope_id: string; name: string }>>;
  /** Runs one action: buttons disabled meanwhile, errors shown. */
  act(work: () => Promise<void>): Promise<void>;
  status(text: string): void;
  confirm(text: string): boolean;
  /** Shows another panel, its list read with these filter values. */
  open(panel: string, values: Values): void;
}

/** Asks a panel's list to show what these filter values select (see ConsoleEnv.open). */
export class PanelQuery extends Event {
  constructor(readonly values: Values) {
    super('panel-query');
  }
}

let nextId = 0;
const uniqueId = (base: string) => `${base}-${++nextId}`;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A labelled input for a field; scope fields are filled with the scopes once they are read. */
function fieldInput(field: Field, env: ConsoleEnv, idBase: string): HTMLElement {
  const id = uniqueId(`${idBase}-${field.name}`);
  const label = element('label', { for: id }, field.label, ...(field.required ? [] : [' ', element('span', { class: 'muted' }, '(optional)')]));
  let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  if (field.kind === 'scope' || field.kind === 'select') {
    const select = element('select', { id, name: field.name });
    if (!field.required) select.append(element('option', { value: '' }, 'any'));
    for (const option of field.options ?? []) select.append(element('option', { value: option }, option));
    if (field.kind === 'scope') {
      void env.scopes().then((scopes) => {
        for (const scope of scopes) {
          const label = `${scope.name} (${scope.scope_id.slice(0, 8)})`;
          // One a panel query put in first keeps its place and gets its name.
          const existing = Array.from(select.options).find((option) => option.value === scope.scope_id);
          if (existing === undefined) select.append(element('option', { value: scope.scope_id }, label));
          else existing.textContent = label;
        }
      });
    }
    input = select;
  } else if (field.kind === 'textarea') {
    input = element('textarea', { id, name: field.name, spellcheck: 'false' });
    if (field.placeholder !== undefined) input.placeholder = field.placeholder;
  } else {
    input = element('input', { id, name: field.name, type: field.kind === 'number' ? 'number' : field.kind === 'datetime' ? 'datetime-local' : 'text', autocomplete: 'off', spellcheck: 'false' });
    if (field.placeholder !== undefined) input.placeholder = field.placeholder;
  }
  input.required = field.required === true;
  input.dataset.kind = field.kind ?? 'text';
  return element('div', field.kind === 'textarea' ? { class: 'wide' } : {}, label, input);
}

/** The form's values: trimmed, empty ones left out, date-times as ISO-8601. */
function formValues(form: HTMLFormElement): Values {
  const values: Values = {};
  for (const input of Array.from(form.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea'))) {
    const value = input.value.trim();
    if (value === '' || input.name === '') continue;
    values[input.name] = input.dataset.kind === 'datetime' ? new Date(value).toISOString() : value;
  }
  return values;
}

function cellText(column: Column, row: Row): string {
  const value = row[column.key];
  if (column.format !== undefined) return column.format(value, row);
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function renderPanel(panel: Panel, env: ConsoleEnv): HTMLElement {
  const section = element('section', { id: `panel-${panel.id}`, 'aria-labelledby': `panel-${panel.id}-title`, class: 'panel' });
  section.append(element('h2', { id: `panel-${panel.id}-title` }, panel.title), element('p', { class: 'muted' }, panel.description));
  const forms = new Map<string, HTMLFormElement>();
  let reload: () => Promise<void> = async () => {};

  for (const spec of panel.forms ?? []) {
    const form = element('form', { class: 'card', 'aria-label': spec.title });
    form.dataset.form = spec.id;
    form.append(element('h3', {}, spec.title), element('div', { class: 'fields' }, ...spec.fields.map((field) => fieldInput(field, env, spec.id))));
    const buttons = element('div', { class: 'actions' });
    for (const action of spec.actions) {
      const button = element('button', { type: 'button', class: action.danger ? 'danger' : '' }, action.label);
      button.addEventListener('click', () => {
        if (!form.reportValidity()) return;
        if (action.confirm !== undefined && !env.confirm(action.confirm)) return;
        void env.act(async () => {
          const result = await env.call(action.method, spec.params(formValues(form)));
          env.status(spec.done(result, action.label));
          await reload();
        });
      });
      buttons.append(button);
    }
    form.append(buttons);
    form.addEventListener('submit', (event) => event.preventDefault());
    forms.set(spec.id, form);
  }

  const list = panel.list;
  if (list !== undefined) {
    const filters = element('form', { class: 'card', 'aria-label': `${list.caption}: filters` });
    const table = element('table');
    const body = element('tbody');
    const more = element('button', { type: 'button', class: 'secondary', hidden: '' }, 'Load more');
    table.append(
      element('caption', {}, list.caption),
      element('thead', {}, element('tr', {}, ...list.columns.map((column) => element('th', { scope: 'col' }, column.label)), ...(list.actions ? [element('th', { scope: 'col' }, 'Actions')] : []))),
      body,
    );
    let nextParams: Params | null = null;
    let lastParams: Params | null = null;

    const rowElement = (row: Row): HTMLTableRowElement => {
      const tr = element('tr', {}, ...list.columns.map((column) => element('td', column.mono ? { class: 'mono' } : {}, cellText(column, row))));
      if (list.actions !== undefined) {
        const cell = element('div', { class: 'actions' });
        for (const action of list.actions) {
          if (action.when !== undefined && !action.when(row)) continue;
          const danger = 'method' in action && action.danger === true;
          const button = element('button', { type: 'button', class: danger ? 'danger' : 'secondary', 'aria-label': `${action.label} ${list.rowName(row)}` }, action.label);
          button.addEventListener('click', () => {
            if ('open' in action) {
              env.open(action.open.panel, action.open.values(row, lastParams ?? {}));
              return;
            }
            if ('fill' in action) {
              const form = forms.get(action.fill.form);
              if (form === undefined) return;
              for (const [name, value] of Object.entries(action.fill.values(row))) {
                const input = form.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(`[name="${name}"]`);
                if (input !== null) input.value = value;
              }
              form.querySelector<HTMLElement>('input, select, textarea')?.focus();
              return;
            }
            if (action.confirm !== undefined && !env.confirm(`${action.confirm} (${list.rowName(row)})`)) return;
            void env.act(async () => {
              await env.call(action.method, action.params(row, lastParams ?? {}));
              env.status(`${action.label}: done for ${list.rowName(row)}.`);
              await reload();
            });
          });
          cell.append(button);
        }
        tr.append(element('td', {}, cell));
      }
      return tr;
    };

    const load = async (params: Params, append: boolean) => {
      const result = await env.call<Row>(list.method, params);
      const rows = list.rows(result);
      if (!append) body.replaceChildren();
      body.append(...rows.map(rowElement));
      if (!append && rows.length === 0) body.append(element('tr', {}, element('td', { colspan: String(list.columns.length + (list.actions ? 1 : 0)) }, 'Nothing to show.')));
      nextParams = list.next?.(result, params) ?? null;
      more.hidden = nextParams === null;
    };
    reload = async () => {
      if (lastParams !== null) await load(lastParams, false);
    };

    if (list.fields.length > 0) {
      filters.append(element('div', { class: 'fields' }, ...list.fields.map((field) => fieldInput(field, env, `${panel.id}-list`))));
      filters.append(element('div', { class: 'actions' }, element('button', { type: 'submit' }, 'Show')));
      filters.addEventListener('submit', (event) => {
        event.preventDefault();
        void env.act(async () => {
          lastParams = list.params(formValues(filters));
          await load(lastParams, false);
        });
      });
      section.addEventListener('panel-query', (event) => {
        const { values } = event as PanelQuery;
        for (const [name, value] of Object.entries(values)) {
          const input = filters.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);
          if (input === null) continue;
          // A scope choice filled in before the scopes arrive: add it, so the value holds.
          if (input instanceof HTMLSelectElement && !Array.from(input.options).some((option) => option.value === value)) input.append(element('option', { value }, value));
          input.value = value;
        }
        filters.requestSubmit();
      });
      section.append(filters);
    } else {
      section.dataset.autoload = 'true';
      section.addEventListener('panel-open', () => {
        void env.act(async () => {
          lastParams = list.params({});
          await load(lastParams, false);
        });
      });
    }
    more.addEventListener('click', () => {
      if (nextParams !== null) void env.act(() => load(nextParams!, true));
    });
    section.append(element('div', { class: 'card' }, element('div', { class: 'table-wrap' }, table), more));
  }
  // Below the list, whose rows may fill them.
  section.append(...forms.values());
  return section;
}
