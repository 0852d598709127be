-- Ghost text through vim.lsp.inline_completion (Neovim 0.12+), plus the telemetry that
-- Neovim does not send itself: "shown" when an item is displayed, "partially accepted"
-- for accept line / accept word. Full acceptance runs the item's command (didAccept).

local lw = require('linewright')
local status = require('linewright.status')

local M = {}

local INLINE = 'textDocument/inlineCompletion'

--- Report the item Neovim displays: it shows the first item of each answer.
local function watch_answers(client)
  if client._linewright_watched then
    return
  end
  client._linewright_watched = true
  local request = client.request
  client.request = function(self, method, params, handler, bufnr)
    if method == INLINE and handler then
      local inner = handler
      handler = function(err, result, ctx, config)
        inner(err, result, ctx, config)
        local items = result and (result.items or result) or {}
        if not err and items[1] then
          status.answered(self.id)
          lw.notify_shown(self, lw.suggestion_id(items[1]))
        end
      end
    end
    return request(self, method, params, handler, bufnr)
  end
end

--- Insert `text` at the item's start (else the cursor) and put the cursor after it.
local function insert(item, bufnr, text)
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  row = row - 1
  if item.range then
    row, col = item.range.start.row, item.range.start.col
  end
  local lines = vim.split(text, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  local last = #lines == 1 and col + #lines[1] or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { row + #lines, last })
end

local function item_text(item)
  return type(item.insert_text) == 'string' and item.insert_text or item.insert_text.value
end

--- Insert the first `part` of the suggestion; all of it runs the item's command, less is
--- reported as a partial acceptance.
local function accept_part(client, item, bufnr, part)
  local text = item_text(item)
  insert(item, bufnr, part)
  if part == text then
    if item.command then
      client:exec_cmd(item.command, { bufnr = bufnr })
    end
  else
    lw.notify_partial(client, lw.suggestion_id(item), vim.str_utfindex(part, 'utf-16'))
  end
end

--- Insert the suggestion up to the end of its next word (with the blanks before it).
function M.accept_word_of(client, item, bufnr)
  local text = item_text(item)
  local word = text:match('^%s*[%w_]+') or text:match('^%s*[^%w_%s]+') or text:match('^%s+') or text
  accept_part(client, item, bufnr, word)
end

--- Insert the suggestion up to the end of its first non-blank line; the rest is dropped.
--- A one-line suggestion is accepted whole (its command runs).
function M.accept_line_of(client, item, bufnr)
  accept_part(client, item, bufnr, item_text(item):match('^\n*[^\n]*'))
end

--- Accept the whole suggestion (runs its command); false when none is displayed.
function M.accept()
  return vim.lsp.inline_completion.get()
end

--- Accept only the suggestion's first line; false when none is displayed.
function M.accept_line()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = lw.client(bufnr)
  return vim.lsp.inline_completion.get({
    on_accept = function(item)
      if client and lw.suggestion_id(item) then
        M.accept_line_of(client, item, bufnr)
      end
    end,
  })
end

--- Accept only the suggestion's next word; false when none is displayed.
function M.accept_word()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = lw.client(bufnr)
  return vim.lsp.inline_completion.get({
    on_accept = function(item)
      if client and lw.suggestion_id(item) then
        M.accept_word_of(client, item, bufnr)
      end
    end,
  })
end

--- Show the next (`count` 1) or previous (-1) alternative; false when none is displayed.
local function cycle(count)
  return function()
    local before = vim.fn.getbufvar(0, 'changedtick')
    vim.lsp.inline_completion.select({ count = count })
    return before == vim.fn.getbufvar(0, 'changedtick') and M.showing()
  end
end
M.next, M.prev = cycle(1), cycle(-1)

--- Whether ghost text is on screen in the current buffer.
function M.showing()
  local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
  return ns ~= nil and #vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { limit = 1 }) > 0
end

--- Ask now. vim.lsp.inline_completion has no request function of its own: run its
--- automatic request (its autocmd in its own group), as a cursor move in Insert mode would.
function M.trigger(_, bufnr)
  local group = ('nvim.lsp.inline_completion:%d'):format(bufnr)
  pcall(vim.api.nvim_exec_autocmds, 'CursorMovedI', { group = group, buffer = bufnr })
end

function M.enable(on, _, bufnr)
  vim.lsp.inline_completion.enable(on, { bufnr = bufnr })
end

--- Ghost text in Neovim's `ComplHint`, which links to NonText: without 'termguicolors'
--- NonText has no colour of its own and the text looks typed. Point it at
--- LinewrightSuggestion (grey, italic) unless a colour scheme gave ComplHint colours.
function M.highlight()
  vim.api.nvim_set_hl(0, 'LinewrightSuggestion',
    { fg = '#808080', ctermfg = 244, italic = true, default = true })
  local current = vim.api.nvim_get_hl(0, { name = 'ComplHint', create = false })
  if vim.tbl_isempty(current) or current.link == 'NonText' then
    vim.api.nvim_set_hl(0, 'ComplHint', { link = 'LinewrightSuggestion' })
  end
end

--- Hide the suggestion (the server counts it rejected once the document moves on).
function M.dismiss()
  return vim.lsp.inline_completion.get({ on_accept = function() end })
end

local function map(bufnr, lhs, action)
  if not lhs then
    return
  end
  vim.keymap.set('i', lhs, function()
    if not action() then
      return vim.keycode(lhs)
    end
  end, { buffer = bufnr, expr = true, desc = 'Linewright suggestion' })
end

function M.attach(client, bufnr, keymaps)
  watch_answers(client)
  M.highlight()
  vim.api.nvim_create_autocmd('ColorScheme', {
    group = vim.api.nvim_create_augroup('linewright-highlight', { clear = true }),
    callback = M.highlight,
  })
  map(bufnr, keymaps.accept, M.accept)
  map(bufnr, keymaps.accept_line, M.accept_line)
  map(bufnr, keymaps.accept_word, M.accept_word)
  map(bufnr, keymaps.next, M.next)
  map(bufnr, keymaps.prev, M.prev)
  map(bufnr, keymaps.dismiss, M.dismiss)
  if keymaps.trigger then
    vim.keymap.set('i', keymaps.trigger, function() lw.trigger() end,
      { buffer = bufnr, desc = 'Linewright: ask for a suggestion' })
  end
end

return M
