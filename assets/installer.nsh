; flowhost: the Windows installer's "Run as a service" option. electron-builder includes this file (nsis.include).
; A page after the folder choice offers the option when the app is installed for all users (a service needs
; elevation). Chosen, the installed app itself is run in CLI mode to install the service — no Node, no
; ELECTRON_RUN_AS_NODE (main/electron/app-mode.ts):
;   "<app>.exe" --flowhost-cli service install --winsw "<app>\resources\winsw\WinSW-x64.exe"
; which writes the WinSW definition running "<app>.exe --flowhost-cli agent" (main/commands/service-command.ts) and
; starts it. The uninstaller removes the service the same way (a no-op when none was installed).
!include LogicLib.nsh
!include nsDialogs.nsh

!define FLOWHOST_WINSW "resources\winsw\WinSW-x64.exe"

!ifndef BUILD_UNINSTALLER
  Var flowhostServiceBox
  Var flowhostAsService

  !macro customPageAfterChangeDir
    Page custom flowhostServicePage flowhostServicePageLeave
  !macroend

  Function flowhostServicePage
    StrCpy $flowhostAsService "0"
    ${If} $installMode != "all"
      Abort ; "Just me": no service (installing one needs an administrator)
    ${EndIf}
    nsDialogs::Create 1018
    Pop $0
    ${NSD_CreateLabel} 0 0 100% 36u "Run flowhost as a Windows service to take unattended work while nobody is signed in. The service starts with Windows and runs as LocalSystem; the tray app is then only needed for attended work."
    Pop $0
    ${NSD_CreateCheckbox} 0 44u 100% 12u "Run flowhost as a &service"
    Pop $flowhostServiceBox
    nsDialogs::Show
  FunctionEnd

  Function flowhostServicePageLeave
    ${NSD_GetState} $flowhostServiceBox $0
    ${If} $0 == ${BST_CHECKED}
      StrCpy $flowhostAsService "1"
    ${EndIf}
  FunctionEnd

  !macro customInstall
    ${If} $flowhostAsService == "1"
      DetailPrint "Installing the flowhost service…"
      nsExec::ExecToLog '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" --flowhost-cli service install --winsw "$INSTDIR\${FLOWHOST_WINSW}"'
      Pop $0
      ${If} $0 != "0"
        MessageBox MB_OK|MB_ICONEXCLAMATION "The flowhost service could not be installed (exit code $0). The tray app works without it; run$\r$\n  flowhost.exe --flowhost-cli service install$\r$\nas an administrator to try again."
      ${EndIf}
    ${EndIf}
  !macroend
!endif

; An update runs the old uninstaller first: the service stays (WinSW restarts it after the files are replaced).
!macro customUnInstall
  ${If} ${FileExists} "$INSTDIR\${FLOWHOST_WINSW}"
  ${AndIfNot} ${isUpdated}
    nsExec::ExecToLog '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" --flowhost-cli service uninstall --winsw "$INSTDIR\${FLOWHOST_WINSW}"'
    Pop $0
  ${EndIf}
!macroend
