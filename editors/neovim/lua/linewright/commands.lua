-- The Ex commands: :LinewrightGenerateTests, :LinewrightFlagFile, :LinewrightStats,
-- :LinewrightToggle[!] (this buffer; ! everywhere), :LinewrightTrigger, :LinewrightRestart.
-- Server commands run asynchronously: progress goes to the statusline, never blocking.

local protocol = require('linewright.protocol')

local M = {}

local function run(name, arguments, on_result)
  local lw = require('linewright')
  local client = lw.client()
  if not client then
    vim.notify('Linewright is not attached to this buffer', vim.log.levels.WARN)
    return
  end
  client:exec_cmd({ title = name, command = protocol.command(name), arguments = arguments },
    { bufnr = 0 }, function(err, result)
      -- RequestFailed: the server has shown the reason itself (window/showMessage)
      if err and err.code ~= vim.lsp.protocol.ErrorCodes.RequestFailed then
        vim.notify('Linewright: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      elseif not err and on_result then
        on_result(result)
      end
    end)
end

--- Show the test file the server's edit went to: create its folder (Neovim leaves a file
--- the edit creates unsaved, and `:w` would fail with E212) and open it in a split.
function M.show_test_file(result)
  local file = type(result) == 'table' and result.file
  if type(file) ~= 'string' or file == '' then
    return
  end
  vim.fn.mkdir(vim.fs.dirname(file), 'p')
  local bufnr = vim.fn.bufadd(file)
  vim.bo[bufnr].buflisted = true
  if vim.fn.bufwinid(bufnr) == -1 then
    vim.cmd.sbuffer(bufnr)
  end
  return bufnr
end

function M.generate_tests()
  local client = require('linewright').client()
  local params = vim.lsp.util.make_position_params(0, client and client.offset_encoding or 'utf-16')
  run('linewright.generateTests', { params.textDocument.uri, params.position }, M.show_test_file)
end

function M.flag_file()
  run('linewright.flagFile', { vim.uri_from_bufnr(0) }, function(result)
    if type(result) == 'table' and result.flagged then
      vim.notify(('Linewright: %d of %d lines flagged'):format(result.flagged, result.judged or 0))
    end
  end)
end

function M.create()
  local lw = require('linewright')
  local command = vim.api.nvim_create_user_command
  command('LinewrightStats', function()
    run('linewright.telemetryStats', {}, function(result)
      vim.notify(result and result.text or 'no telemetry yet')
    end)
  end, { desc = 'Linewright: suggestion acceptance rates' })
  command('LinewrightGenerateTests', M.generate_tests,
    { desc = 'Linewright: generate tests for the code at the cursor' })
  command('LinewrightFlagFile', M.flag_file, { desc = 'Linewright: flag anomalous lines in this file' })
  command('LinewrightToggle', function(args) lw.toggle({ global = args.bang }) end,
    { bang = true, desc = 'Linewright: suggestions on/off in this buffer (! everywhere)' })
  command('LinewrightTrigger', lw.trigger, { desc = 'Linewright: ask for a suggestion now' })
  command('LinewrightRestart', function()
    vim.lsp.enable('linewright', false)
    vim.defer_fn(function() vim.lsp.enable('linewright') end, 500)
  end, { desc = 'Linewright: restart the server' })
end

return M
