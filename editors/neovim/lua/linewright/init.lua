-- Linewright for Neovim 0.11+: registers `linewright serve` with vim.lsp.config/enable,
-- shows suggestions as ghost text (vim.lsp.inline_completion, Neovim 0.12+) or as completion
-- items (vim.lsp.completion), maps accept / accept line / dismiss, and reports what happens
-- to each suggestion back to the server (its telemetry).
--
--   require('linewright').setup({ settings = { completion = { debounceMs = 150 } } })

local M = {}

M.defaults = {
  cmd = { 'linewright', 'serve' },
  filetypes = {
    'python', 'c', 'cpp', 'go', 'java', 'javascript', 'javascriptreact',
    'typescript', 'typescriptreact', 'rust', 'verilog', 'systemverilog',
  },
  root_markers = { 'linewright.toml', 'pyproject.toml', '.git' },
  -- Sent as initializationOptions: the keys of linewright.toml, camelCase or snake_case.
  settings = {},
  -- nil: ghost text when this Neovim has vim.lsp.inline_completion, else completion items.
  inline = nil,
  -- Insert-mode keys; false leaves a key unmapped.
  keymaps = { accept = '<Tab>', accept_line = '<C-l>', dismiss = '<C-]>' },
}

M.SHOW = 'linewright/didShowCompletion'
M.PARTIAL = 'linewright/didPartiallyAcceptCompletion'
M.ACCEPT = 'linewright.didAccept'

-- What the plugin saw, for :checkhealth-style inspection and for tests.
M.state = { shown = {}, partial = {} }

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

local function capabilities(inline)
  local caps = vim.lsp.protocol.make_client_capabilities()
  if not inline then
    -- Without this the server keeps automatic suggestions for the ghost-text path.
    caps.textDocument.inlineCompletion = nil
  end
  return caps
end

local function run_command(name, arguments, on_result)
  local client = M.client()
  if not client then
    vim.notify('Linewright is not attached to this buffer', vim.log.levels.WARN)
    return
  end
  client:exec_cmd({ title = name, command = name, arguments = arguments }, { bufnr = 0 },
    function(err, result)
      if err then
        vim.notify('Linewright: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      elseif on_result then
        on_result(result)
      end
    end)
end

local function user_commands(opts)
  vim.api.nvim_create_user_command('LinewrightStats', function()
    run_command('linewright.telemetryStats', {}, function(result)
      vim.notify(result and result.text or 'no telemetry yet')
    end)
  end, { desc = 'Linewright: suggestion acceptance rates' })
  vim.api.nvim_create_user_command('LinewrightGenerateTests', function()
    local client = M.client()
    local params = vim.lsp.util.make_position_params(0, client and client.offset_encoding or 'utf-16')
    run_command('linewright.generateTests', { params.textDocument.uri, params.position })
  end, { desc = 'Linewright: generate tests for the code at the cursor' })
  vim.api.nvim_create_user_command('LinewrightFlagFile', function()
    run_command('linewright.flagFile', { vim.uri_from_bufnr(0) })
  end, { desc = 'Linewright: flag anomalous lines in this file' })
  vim.api.nvim_create_user_command('LinewrightRestart', function()
    vim.lsp.enable('linewright', false)
    vim.defer_fn(function() vim.lsp.enable('linewright') end, 500)
  end, { desc = 'Linewright: restart the server' })
end

local function on_attach(opts, inline)
  return function(client, bufnr)
    if inline then
      require('linewright.inline').attach(client, bufnr, opts.keymaps)
    else
      require('linewright.items').attach(client, bufnr, opts.keymaps)
    end
  end
end

--- Register and enable the server; see `M.defaults` for the options.
function M.setup(user)
  local opts = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), user or {})
  local inline = uses_inline(opts)
  M.options, M.inline = opts, inline
  vim.lsp.config('linewright', {
    cmd = opts.cmd,
    filetypes = opts.filetypes,
    root_markers = opts.root_markers,
    init_options = opts.settings,
    capabilities = capabilities(inline),
    on_attach = on_attach(opts, inline),
  })
  vim.lsp.enable('linewright')
  user_commands(opts)
end

return M
