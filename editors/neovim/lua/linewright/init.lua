-- Linewright for Neovim 0.11+: registers `linewright serve` with vim.lsp.config/enable for
-- the contract's languages, shows suggestions as ghost text (vim.lsp.inline_completion,
-- Neovim 0.12+) or as completion items (vim.lsp.completion), maps accept / accept line /
-- accept word / next / previous / dismiss, has a statusline component, and reports what
-- happens to each suggestion back to the server (its telemetry). Ids come from
-- editors/protocol.json (see protocol.lua).
--
--   require('linewright').setup({ settings = { completion = { debounceMs = 150 } } })

local protocol = require('linewright.protocol')
local status = require('linewright.status')

local M = {}

M.defaults = {
  cmd = { 'linewright', 'serve' },
  -- nil: every language the server manages (the contract's list)
  filetypes = nil,
  root_markers = { 'linewright.toml', 'pyproject.toml', '.git' },
  -- Sent as initializationOptions: the keys of linewright.toml, camelCase or snake_case.
  settings = {},
  -- nil: ghost text when this Neovim has vim.lsp.inline_completion, else completion items.
  inline = nil,
  -- Insert-mode keys; false leaves a key unmapped.
  keymaps = {
    accept = '<Tab>', accept_line = '<C-l>', accept_word = '<M-Right>',
    next = '<M-]>', prev = '<M-[>', dismiss = '<C-]>', trigger = '<M-\\>',
  },
}

-- What the plugin saw, for :checkhealth-style inspection and for tests.
M.state = { shown = {}, partial = {}, disabled = {}, globally_off = false }

-- Looked up in the contract: a stale or missing editors/protocol.json fails loudly here.
M.SHOW = protocol.notification('linewright/didShowCompletion')
M.PARTIAL = protocol.notification('linewright/didPartiallyAcceptCompletion')
M.ACCEPT = protocol.command('linewright.didAccept')

--- The suggestion id an item carries in its accept command, if it is one of ours.
function M.suggestion_id(item)
  local command = item and item.command
  if command and command.command == M.ACCEPT and command.arguments then
    return command.arguments[1]
  end
end

--- Tell the server a suggestion was displayed (once per id).
function M.notify_shown(client, id)
  if id and not M.state.shown[id] then
    M.state.shown[id] = true
    client:notify(M.SHOW, { id = id })
  end
end

--- Tell the server the user took the first `length` UTF-16 code units of a suggestion.
function M.notify_partial(client, id, length)
  if id then
    M.state.partial[id] = length
    client:notify(M.PARTIAL, { id = id, acceptedLength = length })
  end
end

--- The Linewright client attached to `bufnr` (nil when none).
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = 'linewright' })[1]
end

local function uses_inline(opts)
  if opts.inline == nil then
    return vim.lsp.inline_completion ~= nil
  end
  return opts.inline and vim.lsp.inline_completion ~= nil
end

--- Without inline support declared the server sends automatic suggestions as completion
--- items. vim.lsp.config merges `capabilities` into Neovim's defaults (which declare
--- inlineCompletion in 0.12), so the capability is removed from the initialize request.
local function before_init(inline)
  return function(params)
    if not inline and params.capabilities and params.capabilities.textDocument then
      params.capabilities.textDocument.inlineCompletion = nil
    end
  end
end

--- The display module for this setup (ghost text or completion items).
function M.display()
  return require(M.inline and 'linewright.inline' or 'linewright.items')
end

--- Whether suggestions are on in `bufnr` (globally and for the buffer).
function M.enabled(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  return not M.state.globally_off and not M.state.disabled[bufnr]
end

--- Ask for a suggestion at the cursor now (the manual trigger).
function M.trigger()
  local client = M.client()
  if client and M.enabled(0) then
    M.display().trigger(client, vim.api.nvim_get_current_buf())
  end
end

--- Turn suggestions on or off for `bufnr` (0: current), or everywhere when `global`.
function M.toggle(opts)
  opts = opts or {}
  local buffers = {}
  if opts.global then
    M.state.globally_off = not M.state.globally_off
    for _, client in ipairs(vim.lsp.get_clients({ name = 'linewright' })) do
      vim.list_extend(buffers, vim.tbl_keys(client.attached_buffers))
    end
  else
    local bufnr = vim.api.nvim_get_current_buf()
    M.state.disabled[bufnr] = not M.state.disabled[bufnr] or nil
    buffers = { bufnr }
  end
  for _, bufnr in ipairs(buffers) do
    local client = M.client(bufnr)
    if client then
      M.display().enable(M.enabled(bufnr), client, bufnr)
    end
  end
  vim.cmd.redrawstatus()
end

--- For the statusline: "LW: ready", "LW: loading model 40%", "LW: busy ...", "LW: error", "LW: off".
function M.status(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  return status.text(M.client(bufnr), M.enabled(bufnr))
end

local function on_attach(opts)
  return function(client, bufnr)
    status.attach(client)
    M.display().attach(client, bufnr, opts.keymaps)
    M.display().enable(M.enabled(bufnr), client, bufnr)
    if bufnr == vim.api.nvim_get_current_buf() and vim.api.nvim_get_mode().mode:match('^i') then
      -- typed before the server was up: ask now instead of waiting for the next key
      M.trigger()
    end
  end
end

--- Register and enable the server; see `M.defaults` for the options.
function M.setup(user)
  local opts = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), user or {})
  local contract = protocol.load()
  local inline = uses_inline(opts)
  M.options, M.inline = opts, inline
  vim.lsp.config('linewright', {
    cmd = opts.cmd,
    filetypes = opts.filetypes or contract.languages,
    root_markers = opts.root_markers,
    init_options = opts.settings,
    before_init = before_init(inline),
    handlers = { ['window/showMessage'] = status.show_message },
    on_attach = on_attach(opts),
    on_exit = function(_, _, client_id) status.detach(client_id) end,
  })
  vim.lsp.enable('linewright')
  require('linewright.commands').create()
end

return M
